"""The Run form's source-video picker, reference videos and prompt field (kept out of run.py, which holds the
rest of the form).

A video replaces the images (RunSpec takes one or the other): picking videos clears the images and the other way
round, and the form says so. The prompt field shows only while a chosen system takes a text prompt; its
placeholder is that system's default (the manifest's infer.prompt), which an empty field keeps.

Reference videos (the papers' protocol, `thtui run --reference VIDEO|DIR`): a mode of their own, since each video
gives its case's portrait (its first frame with a face) and speech (its own audio). Picked videos or folders are
checked in a worker by the core functions the CLI calls (run_form.check_references), so the form shows the
CLI's sentence (no audio, no face, not a video, an empty folder) before anything runs.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, SelectionList, Static

from thtui.core.input_formats import VIDEO_SUFFIXES
from thtui.tui.run_form import check_references, prompt_takers
from thtui.tui.screens.base import deliver

PLACEHOLDER_CHARS = 60  # of the default prompt shown in the empty field


NO_REFERENCE = "(none: a video with a face and speech, or a folder)"


def video_rows() -> ComposeResult:
    with Horizontal(classes="row portrait-only"):
        yield Label("video(s)", classes="field-label")
        yield Static("(none: the image is used)", id="videos-value", classes="field-value")
        yield Button("Pick…", id="pick-videos", compact=True)
    yield Static("", id="videos-error", classes="error portrait-only")


def reference_rows() -> ComposeResult:
    """Shown in the "reference videos" mode only (RunScreen.-mode-reference)."""
    with Horizontal(classes="row reference-only"):
        label = Label("reference", classes="field-label")
        label.tooltip = (
            "The papers' protocol: each video's first frame with a face is the portrait and its own audio the "
            "speech; every result is scored against it (PSNR, SSIM, LMD) and the report gets a paper-style table."
        )
        yield label
        yield Static(NO_REFERENCE, id="references-value", classes="field-value")
        yield Button("Pick…", id="pick-references", compact=True)
    yield Static("", id="references-error", classes="error reference-only")


def prompt_rows() -> ComposeResult:
    with Horizontal(classes="row", id="prompt-row"):
        yield Label("prompt", classes="field-label")
        yield Input(id="prompt", compact=True)
    yield Static("", id="prompt-error", classes="error")


def _placeholder(takers: list[tuple[str, str]]) -> str:
    name, default = takers[0]
    if len(default) > PLACEHOLDER_CHARS:
        default = default[: PLACEHOLDER_CHARS - 1] + "…"
    others = f" (+{len(takers) - 1} more)" if len(takers) > 1 else ""
    return f"default of {name}{others}: {default}"


class SourceFields:
    """Mixed into RunScreen: picking videos and reference videos, and the prompt field's visibility."""

    _refs_pending = False  # a reference check is running: Start waits for it (it may refuse the run)
    _start_when_checked = False

    def action_pick_videos(self) -> None:
        from thtui.tui.screens.file_picker import FilePickerScreen

        current: list[Path] = self.values.videos
        near = current or self.values.images  # start where the user's files are
        start = near[0].parent if near else Path.cwd()

        def chosen(paths: list[Path] | None) -> None:
            if not paths:
                return
            if self.values.images:
                self.notify("your video replaces the image(s): systems that redraw a video's mouth take it, "
                            "portrait systems its first frame")  # fmt: skip
            self.values.images = []
            self.values.videos = paths
            self._show_files()
            self._check_files()

        self.app.push_screen(FilePickerScreen("Choose your video(s)", start, VIDEO_SUFFIXES, current), chosen)

    # ---- reference videos (the papers' protocol) --------------------------------------------------------
    def action_pick_references(self) -> None:
        from thtui.tui.screens.file_picker import FilePickerScreen

        current: list[Path] = [p for p in self.values.references if p.is_file()]
        near = self.values.references or self.values.videos  # not the images: the sample's is assets/
        start = (near[0] if near[0].is_dir() else near[0].parent) if near else Path.cwd()

        def chosen(paths: list[Path] | None) -> None:
            if not paths:
                return
            self.values.references = paths
            self.show_references()
            self.check_reference_files()

        title = "Choose reference video(s) or a folder"
        self.app.push_screen(FilePickerScreen(title, start, VIDEO_SUFFIXES, current, folders=True), chosen)

    def show_references(self) -> None:
        from thtui.tui import format as fmt

        bases = [self.tapp.settings.outputs_dir]
        shown = [fmt.short_path(p, bases) + ("/" if p.is_dir() else "") for p in self.values.references]
        self.query_one("#references-value", Static).update(", ".join(shown) or NO_REFERENCE)

    def check_reference_files(self) -> None:
        if not self.values.references:
            return
        self._refs_pending = True
        self._set_error("#references-error", Text("checking (a face in the first frames, an audio track)…",
                                                  style="italic"))  # fmt: skip
        self._check_references(list(self.values.references))

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="run-refs", description="Checking references"
    )
    def _check_references(self, paths: list[Path]) -> None:
        try:
            problem = check_references(paths)
        except Exception as exc:  # an OS error or a bug: said on the line, and Start is not left waiting
            problem = f"cannot check {paths[0].name}: {type(exc).__name__}: {exc}"
        deliver(self, self._references_checked, paths, problem)

    def _references_checked(self, paths: list[Path], problem: str | None) -> None:
        if paths != self.values.references:  # picked again meanwhile: that check's answer is coming
            return
        self._refs_pending = False
        self.file_errors = {k: v for k, v in self.file_errors.items() if k != "references"}
        if problem:
            self.file_errors["references"] = problem
        self._set_error("#references-error", Text(f"✗ {problem}", style="bold red") if problem else "")
        if self._start_when_checked:
            self._start_when_checked = False
            self.action_start()
        elif self._checked:
            self._recheck()

    def show_prompt_field(self) -> None:
        """Show the prompt field only while a chosen system takes a prompt (else it would do nothing)."""
        names = list(self.query_one("#solutions", SelectionList).selected)
        takers = prompt_takers(self.tapp.catalog, names)
        row = self.query_one("#prompt-row")
        row.display = bool(takers)  # its error line stays empty (hidden) then: a disabled field sends ""
        prompt = self.query_one("#prompt", Input)
        prompt.disabled = not takers
        if takers:
            prompt.placeholder = _placeholder(takers)

    def prompt_value(self) -> str:
        """What the form sends: the typed prompt, or "" (each system's default) while no chosen system takes one."""
        prompt = self.query_one("#prompt", Input)
        return "" if prompt.disabled else prompt.value
