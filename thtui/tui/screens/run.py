"""Run: choose images and audio (keyboard file picker) or type text and pick a TTS backend and voice
(preview synthesises it and shows the duration), or reference videos (the papers' protocol); select ready
solutions (the others say why they are not runnable); set repeat, GPUs, timeout and a Ray cluster; start.
Every problem is flagged in the form before anything runs; the run itself goes through thtui.core.jobs
exactly as `thtui run` does."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, RadioSet, Select, SelectionList, Static

from thtui.tui import format as fmt
from thtui.tui.run_form import (
    FIELD_WIDGETS,
    FormValues,
    build_spec,
    check_files,
    form_problems,
    sample_inputs,
)
from thtui.tui.screens.base import ThtuiScreen, deliver
from thtui.tui.screens.run_cluster import SOLUTIONS_HERE, ClusterStart, cluster_rows
from thtui.tui.screens.run_source import SourceFields, prompt_rows, reference_rows, video_rows
from thtui.tui.screens.run_tts import TtsPreview
from thtui.tui.services import solution_rows, tts_options
from thtui.tui.widgets.file_picker import AUDIO_SUFFIXES, IMAGE_SUFFIXES
from thtui.tui.widgets.toggles import PlainCheckbox, PlainRadioButton, PlainSelectionList

FIELDS = ("images", "videos", "audios", "references", "text", "tts", "solutions", "prompt", "repeat", "gpus",
          "timeout", "cluster")  # fmt: skip
MODES = {"mode-audio": "audio", "mode-text": "text", "mode-reference": "reference"}
WAITING_FOR_REFERENCES = Text("checking the reference videos first… (then it starts)", style="italic")


class RunScreen(SourceFields, ClusterStart, TtsPreview, ThtuiScreen):
    MODE = "run"
    BINDINGS = [
        Binding("ctrl+r", "start", "Start run"),
        Binding("ctrl+o", "pick_images", "Images"),
        Binding("ctrl+o", "pick_references", "References"),  # in its mode, instead (check_action)
        Binding("ctrl+g", "pick_audio", "Audio"),
        Binding("ctrl+t", "preview_tts", "Preview TTS"),
        # A form: a stray "q" typed while a button has focus must not end the app (ctrl+q still does).
        Binding("q", "quit_hint", "", show=False),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("pick_images", "pick_references"):  # ctrl+o picks the source of the chosen mode
            return (action == "pick_references") == (self.values.mode == "reference")
        return True

    def action_quit_hint(self) -> None:
        self.notify("q does not quit on the Run form (a letter typed off the text field); ctrl+q quits")

    def __init__(self) -> None:
        super().__init__()
        self.values = FormValues()
        self._last_run: str | None = None
        self.ready: set[str] = set()
        self.file_errors: dict[str, str] = {}
        self.voices: dict[str, list[str]] = {}
        self._listed = False
        self._rows: list = []  # the last install-status rows (relisted when the cluster field fills or empties)
        self._listed_for_cluster = False
        # Set once Start (or Preview) showed problems: from then on every edit re-checks the form, so a
        # fixed problem's message goes away instead of staying until the next Start.
        self._checked = False

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="run-form"):
            yield Label("Inputs", classes="section")
            with RadioSet(id="mode"):
                yield PlainRadioButton("audio files", value=True, id="mode-audio")
                yield PlainRadioButton("text → speech", id="mode-text")
                yield PlainRadioButton("reference videos", id="mode-reference")
            with Horizontal(classes="row portrait-only"):
                yield Label("image(s)", classes="field-label")
                yield Static("", id="images-value", classes="field-value")
                yield Button("Pick…", id="pick-images", compact=True)
            yield Static("", id="images-error", classes="error portrait-only")
            yield from video_rows()  # your own video instead of the images (thtui.tui.screens.run_source)
            yield from reference_rows()  # the papers' protocol: portrait and speech from each video
            with Horizontal(classes="row audio-only"):
                yield Label("audio", classes="field-label")
                yield Static("", id="audios-value", classes="field-value")
                yield Button("Pick…", id="pick-audio", compact=True)
            yield Static("", id="audios-error", classes="error audio-only")
            with Horizontal(classes="row text-only"):
                yield Label("text", classes="field-label")
                yield Input(placeholder="words to speak", id="text", compact=True)
            yield Static("", id="text-error", classes="error text-only")
            with Horizontal(classes="row text-only"):
                yield Label("TTS", classes="field-label")
                yield Select([("piper", "piper")], id="tts", allow_blank=False, compact=True)
                yield Select([], id="voice", allow_blank=True, prompt="default voice", compact=True)
                yield Button("Preview", id="preview-tts", compact=True)
            yield Static("", id="tts-error", classes="error text-only")
            yield Label(SOLUTIONS_HERE, classes="section", id="solutions-label")
            yield PlainSelectionList(id="solutions")
            yield Static("", id="solutions-error", classes="error")
            yield from prompt_rows()  # shown while a chosen system takes a text prompt
            yield Label("Options", classes="section")
            with Horizontal(classes="row"):
                yield Label("repeat", classes="field-label")
                yield Input("1", id="repeat", classes="short", compact=True)
                yield Label("GPUs", classes="field-label")
                yield Input("all", id="gpus", classes="short", compact=True)
                yield Label("timeout s", classes="field-label")
                yield Input("", placeholder="none", id="timeout", classes="short", compact=True)
            with Horizontal(classes="row"):
                yield PlainCheckbox("warm-up job (untimed)", id="warmup", compact=True)
                pack = PlainCheckbox("pack jobs per GPU by VRAM", id="pack", compact=True)
                pack.tooltip = (
                    "Several jobs share a GPU while their VRAM estimates fit. Faster sweeps, but their"
                    " times and energy are not single-job numbers (flagged as shared_gpu)."
                )
                yield pack
                score = PlainCheckbox("score videos", True, id="score", compact=True)
                score.tooltip = "Lip-sync proxy, identity, motion: CPU work beside the GPU's next job."
                yield score
            with Horizontal(classes="row"):
                detach = PlainCheckbox("detach (keep running after thtui exits)", id="detach", compact=True)
                detach.tooltip = (
                    "The run goes to a background `thtui run` of its own: quitting thtui or closing the"
                    " terminal does not stop it. Monitor (3) shows it; `thtui run --cancel ID` stops it."
                )
                yield detach
            yield Static("", id="options-error", classes="error")
            yield from cluster_rows()  # thtui.tui.screens.run_cluster
            with Horizontal(classes="row"):
                yield Button("Start run", id="start", variant="primary", compact=True)
                yield Static("", id="start-status")

    def on_mount(self) -> None:
        super().on_mount()
        for widget in self.query(".error"):
            widget.add_class("-empty")
        self._set_mode("audio")
        self.show_prompt_field()
        self._load_choices()
        self.tapp.installs_changed.subscribe(self, lambda _name: self._load_choices())
        self.tapp.jobs_changed.subscribe(self, lambda _key: self._show_run_state())
        self.query_one("#mode", RadioSet).focus()

    def on_screen_resume(self) -> None:
        self._load_choices()

    # ---- loading choices (install status, TTS voices, sample files) ----------------------------------
    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="run-choices",
        description="Loading run choices",
    )
    def _load_choices(self) -> None:
        rows = solution_rows(self.tapp.settings, self.tapp.catalog, measure_disk=False)
        voices = tts_options(self.tapp.settings)
        image, audio = sample_inputs()
        deliver(self, self._apply_choices, rows, voices, image, audio)

    def _apply_choices(
        self, rows, voices: dict[str, list[str]], image: Path | None, audio: Path | None
    ) -> None:
        selections = self.query_one("#solutions", SelectionList)
        chosen = set(selections.selected) if selections.option_count else set()
        self.ready = {r.name for r in rows if r.status.state == "ready"}
        if not self._listed and "static" in self.ready:
            chosen = {"static"}  # the cheap baseline is ticked on first show; GPU systems are opt-in
        self._listed = True
        self._rows = rows
        self._list_solutions(rows, chosen)
        if voices != self.voices:
            self.voices = voices
            tts = self.query_one("#tts", Select)
            tts.set_options([(name, name) for name in voices])
            if voices:
                tts.value = "piper" if "piper" in voices else next(iter(voices))
                self._fill_voices(str(tts.value))
        if not self.values.images and not self.values.videos and image is not None:
            self.values.images = [image]
        if not self.values.audios and audio is not None:
            self.values.audios = [audio]
        self._show_files()
        self._check_files()
        self.show_prompt_field()

    # ---- form state --------------------------------------------------------------------------------
    def _set_mode(self, mode: str) -> None:
        if mode != self.values.mode:  # Start waiting for the references' check meant that run, not this one
            self._start_when_checked = False
        self.values.mode = mode
        for each in MODES.values():
            self.set_class(mode == each, f"-mode-{each}")
        self.refresh_bindings()  # ctrl+o: images or references

    @on(RadioSet.Changed, "#mode")
    def _mode_changed(self, event: RadioSet.Changed) -> None:
        self._set_mode(MODES.get(event.pressed.id or "", "audio"))

    @on(Select.Changed, "#tts")
    def _tts_changed(self, event: Select.Changed) -> None:
        self._fill_voices(str(event.value) if event.value is not Select.NULL else "")

    def _show_files(self) -> None:
        bases = [self.tapp.settings.outputs_dir]
        for field_name, paths in (("images", self.values.images), ("audios", self.values.audios),
                                  ("videos", self.values.videos)):  # fmt: skip
            none = "(none: the image is used)" if field_name == "videos" else "(none chosen)"
            if field_name == "images" and self.values.videos:
                none = "(none: your video is used)"
            text = ", ".join(fmt.short_path(p, bases) for p in paths) or none
            self.query_one(f"#{field_name}-value", Static).update(text)
        self.show_references()

    def collect(self) -> FormValues:
        """Read the widgets into `self.values` (files are already there, set by the picker)."""
        v = self.values
        v.text = self.query_one("#text", Input).value
        tts = self.query_one("#tts", Select).value
        v.tts = str(tts) if tts is not Select.NULL else ""
        voice = self.query_one("#voice", Select).value
        v.voice = str(voice) if voice is not Select.NULL else None
        v.solutions = list(self.query_one("#solutions", SelectionList).selected)
        v.repeat = self.query_one("#repeat", Input).value
        v.gpus = self.query_one("#gpus", Input).value
        v.timeout = self.query_one("#timeout", Input).value
        v.warmup = self.query_one("#warmup", PlainCheckbox).value
        v.pack = self.query_one("#pack", PlainCheckbox).value
        v.score = self.query_one("#score", PlainCheckbox).value
        v.detach = self.query_one("#detach", PlainCheckbox).value
        v.prompt = self.prompt_value()
        v.cluster = self.query_one("#cluster", Input).value
        return v

    def gpu_count(self) -> int | None:
        snap = self.tapp.latest_snapshot
        return len(snap.gpus) if snap is not None else None

    def _set_error(self, selector: str, message: str | Text) -> None:
        widget = self.query_one(selector, Static)
        widget.update(message)
        widget.set_class(not message, "-empty")

    def show_errors(self, errors: dict[str, str]) -> None:
        options = [errors[k] for k in ("repeat", "gpus", "timeout") if k in errors]
        for field_name in ("images", "videos", "audios", "references", "text", "tts", "solutions", "prompt",
                           "cluster"):  # fmt: skip
            self._set_error(
                f"#{field_name}-error",
                Text(f"✗ {errors[field_name]}", style="bold red") if field_name in errors else "",
            )
        self._set_error(
            "#options-error", Text("✗ " + "; ".join(options), style="bold red") if options else ""
        )

    # ---- file picking --------------------------------------------------------------------------------
    def action_pick_images(self) -> None:
        self._pick("images", IMAGE_SUFFIXES, "Choose image(s)")

    def action_pick_audio(self) -> None:
        self._pick("audios", AUDIO_SUFFIXES, "Choose audio file(s)")

    def _pick(self, field_name: str, suffixes: frozenset[str], title: str) -> None:
        from thtui.tui.screens.file_picker import FilePickerScreen

        current: list[Path] = getattr(self.values, field_name)
        start = current[0].parent if current else Path.cwd()

        def chosen(paths: list[Path] | None) -> None:
            if paths:
                if field_name == "audios" and self.values.mode != "audio":
                    # Picking audio means "use this audio": switch over rather than ignore the pick.
                    self.query_one("#mode-audio", PlainRadioButton).value = True
                    self.notify("switched to audio files: the picked audio is what will be spoken")
                setattr(self.values, field_name, paths)
                if field_name == "images":
                    self.values.videos = []  # a run takes images or videos: the last pick wins
                self._show_files()
                self._check_files()

        self.app.push_screen(FilePickerScreen(title, start, suffixes, current), chosen)

    @on(Button.Pressed, "#pick-images")
    def _pick_images_pressed(self) -> None:
        self.action_pick_images()

    @on(Button.Pressed, "#pick-audio")
    def _pick_audio_pressed(self) -> None:
        self.action_pick_audio()

    @on(Button.Pressed, "#pick-videos")
    def _pick_videos_pressed(self) -> None:
        self.action_pick_videos()  # thtui.tui.screens.run_source

    @on(Button.Pressed, "#pick-references")
    def _pick_references_pressed(self) -> None:
        self.action_pick_references()  # thtui.tui.screens.run_source

    @on(SelectionList.SelectedChanged, "#solutions")
    def _solutions_changed(self) -> None:
        self.show_prompt_field()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="run-files",
        description="Checking input files",
    )
    def _check_files(self) -> None:
        values = FormValues(mode="audio", images=list(self.values.images), audios=list(self.values.audios),
                            videos=list(self.values.videos))  # fmt: skip
        errors = check_files(values)
        deliver(self, self._files_checked, errors)

    def _files_checked(self, errors: dict[str, str]) -> None:
        # The references have a check of their own (run_source): its answer stays.
        kept = {k: v for k, v in self.file_errors.items() if k == "references"}
        self.file_errors = {**errors, **kept}
        for field_name in ("images", "videos", "audios"):
            self._set_error(
                f"#{field_name}-error",
                Text(f"✗ {errors[field_name]}", style="bold red") if field_name in errors else "",
            )
        if self._checked:
            self._recheck()

    # ---- TTS preview -------------------------------------------------------------------------------
    @on(Button.Pressed, "#preview-tts")
    def _preview_pressed(self) -> None:
        self.action_preview_tts()

    # ---- start -------------------------------------------------------------------------------------
    @on(Button.Pressed, "#start")
    def _start_pressed(self) -> None:
        self.action_start()

    def form_errors(self) -> dict[str, str]:
        return form_problems(self.collect(), self.ready, self.gpu_count(), self.file_errors)

    def _show_check(self, errors: dict[str, str]) -> None:
        self.show_errors(errors)
        n = len(errors)
        status = Text(f"fix {n} problem{'s' if n != 1 else ''} above", style="bold red") if n else ""
        if not n and self._start_when_checked:  # a re-check on an edit must not hide that Start is waiting
            status = WAITING_FOR_REFERENCES
        self.query_one("#start-status", Static).update(status)

    def _recheck(self) -> None:
        self._show_check(self.form_errors())

    @on(Input.Changed, "#cluster")
    def _cluster_changed(self) -> None:
        """A cluster run may use systems not installed here (the nodes' installs count): relist them."""
        if self._listed and self.cluster_set() != self._listed_for_cluster:
            self._list_solutions(self._rows, set(self.query_one("#solutions", SelectionList).selected))
            self.show_prompt_field()

    @on(Input.Changed)
    @on(SelectionList.SelectedChanged)
    @on(RadioSet.Changed)
    @on(Select.Changed)
    def _edited(self) -> None:
        if self._checked:
            self._recheck()

    def action_start(self) -> None:
        errors = self.form_errors()
        values = self.values
        self._checked = True
        self._show_check(errors)
        if errors:
            self._focus_first_problem(errors)
            return
        if values.mode == "reference" and self._refs_pending:  # its answer may refuse the run: wait for it
            self._start_when_checked = True
            self.query_one("#start-status", Static).update(WAITING_FOR_REFERENCES)
            return
        self._checked = False
        try:
            spec = build_spec(values, self.gpu_count())
        except ValueError as exc:  # RunError or InputError (a folder emptied since its check): one line
            self.query_one("#start-status", Static).update(Text(f"not started: {exc}", style="bold red"))
            return
        if spec.cluster:  # reach the cluster in a worker first (thtui.tui.screens.run_cluster)
            self.start_on_cluster(spec)
            return
        self.launch(spec)

    def launch(self, spec) -> None:
        """Hand a checked spec to the App: a run of this TUI (then Monitor), or a detached one."""
        if self.values.detach:  # a background `thtui run`: its id and how to follow it come back in a moment
            self._last_run = None
            self.query_one("#start-status", Static).update(
                Text("starting in the background…", style="italic")
            )
            self.tapp.start_detached_run(spec, self._detached_started)
            return
        self._last_run = self.tapp.start_run(spec)
        self._show_run_state()
        self.app.switch_mode("monitor")

    def _detached_started(self, line: str, ok: bool) -> None:
        self.query_one("#start-status", Static).update(Text(line, style="green" if ok else "bold red"))

    def _focus_first_problem(self, errors: dict[str, str]) -> None:
        """Focus the first field to fix (in form order), so the next keys go where the problem is."""
        for field_name in FIELDS:
            if field_name in errors:
                self.query_one(FIELD_WIDGETS[field_name]).focus()
                return

    def _show_run_state(self) -> None:
        """The line beside Start says how the last run started here is doing, not just that it started."""
        run = self.tapp.runs.runs.get(self._last_run) if self._last_run else None
        if run is None:
            return
        jobs = [self.tapp.runs.jobs[j] for j in run.job_ids if j in self.tapp.runs.jobs]
        finished = sum(not j.active for j in jobs)
        if run.active:
            text = Text(f"running: {finished}/{len(jobs)} jobs finished — Monitor (3)", style="green")
        elif run.error:
            text = Text(f"not started: {run.error.splitlines()[-1].strip()}", style="bold red")
        else:
            style = "green" if run.status == "done" else "yellow"
            text = Text(f"last run {run.status}: {finished}/{len(jobs)} jobs — Results (4)", style=style)
        self.query_one("#start-status", Static).update(text)
