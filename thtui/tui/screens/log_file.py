"""A log file, full screen: its tail is read in a worker (logs can be large) and shown in a Log."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Static

from thtui.tui.services import read_tail
from thtui.tui.widgets.key_bar import KeyBar
from thtui.tui.widgets.log_view import LogView


class LogFileScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("g", "top", "Top"),
        Binding("G", "bottom", "Bottom"),
    ]

    def __init__(
        self, title: str, locate: Callable[[], str | None] | str, *, fallback: list[str] | None = None
    ):
        super().__init__()
        self.title_text = title
        self.locate = locate if callable(locate) else (lambda: locate)
        # What to show when there is no file: e.g. an install refused before any step wrote one, whose
        # explanation lives only in the app's log pane (the toast says "see its log").
        self.fallback = fallback

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, id="log-title", classes="title")
        yield LogView(id="log-file")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(LogView).focus()
        self._load()

    @work(thread=True, exit_on_error=False, group="log-file", description="Reading a log file")
    def _load(self) -> None:
        path = self.locate()
        if path is None and self.fallback:
            text = "\n".join(
                ["(no log file: nothing was written to disk; the app's log says:)", *self.fallback]
            )
        elif path is None:
            text = "(no log file found)"
        else:
            try:
                text = read_tail(path)
            except OSError as exc:
                text = f"cannot read {path}: {exc.strerror or exc}"
        self.app.call_from_thread(self._show, path, text)

    def _show(self, path: str | None, text: str) -> None:
        if path:
            self.query_one("#log-title", Static).update(f"{self.title_text}  ({path})")
        self.query_one(LogView).show_text(text)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_top(self) -> None:
        self.query_one(LogView).scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.query_one(LogView).scroll_end(animate=False)
