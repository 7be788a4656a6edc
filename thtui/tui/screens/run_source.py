"""The Run form's source-video picker and prompt field (kept out of run.py, which holds the rest of the form).

A video replaces the images (RunSpec takes one or the other): picking videos clears the images and the other way
round, and the form says so. The prompt field shows only while a chosen system takes a text prompt; its
placeholder is that system's default (the manifest's infer.prompt), which an empty field keeps.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, SelectionList, Static

from thtui.core.input_formats import VIDEO_SUFFIXES
from thtui.tui.run_form import prompt_takers

PLACEHOLDER_CHARS = 60  # of the default prompt shown in the empty field


def video_rows() -> ComposeResult:
    with Horizontal(classes="row"):
        yield Label("video(s)", classes="field-label")
        yield Static("(none: the image is used)", id="videos-value", classes="field-value")
        yield Button("Pick…", id="pick-videos", compact=True)
    yield Static("", id="videos-error", classes="error")


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
    """Mixed into RunScreen: picking videos, and the prompt field's visibility."""

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
