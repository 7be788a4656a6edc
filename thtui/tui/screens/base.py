"""What every top-level screen shares: the nav bar on top, the footer at the bottom, typed app access."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Input, Static, TextArea

from thtui.tui.widgets.key_bar import KeyBar
from thtui.tui.widgets.nav_bar import NavBar

if TYPE_CHECKING:
    from thtui.tui.app import ThtuiApp


def deliver(node, callback, *args) -> None:
    """From a thread worker: run `callback(*args)` on the UI thread, unless the worker was superseded
    (an `exclusive` worker started after it), so a slow, stale read never overwrites a fresh one."""
    from textual.worker import get_current_worker

    if not get_current_worker().is_cancelled:
        node.app.call_from_thread(callback, *args)


MIN_WIDTH, MIN_HEIGHT = 80, 24  # the size every screen is laid out for (and tested at)


class ThtuiScreen(Screen):
    MODE = ""
    BINDINGS = [
        # Esc leaves a text box: the next keys are screen keys again (1-4, q...), not more characters.
        Binding("escape", "leave_field", "Leave field", show=False),
    ]

    def action_leave_field(self) -> None:
        if isinstance(self.focused, (Input, TextArea)):
            self.set_focus(None)

    @property
    def tapp(self) -> ThtuiApp:
        return cast("ThtuiApp", self.app)

    def compose(self) -> ComposeResult:
        yield NavBar(id="nav")
        yield from self.compose_body()
        yield KeyBar()
        yield Static("", id="too-small")

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_resize(self, event: Resize) -> None:
        # Below 80x24 the layout breaks (tables clipped, keys hidden): say so instead of drawing it.
        width, height = event.size
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.set_class(small, "-too-small")
        if small:
            self.query_one("#too-small", Static).update(
                f"terminal too small: {width}×{height}\nthtui needs at least {MIN_WIDTH}×{MIN_HEIGHT}"
                "\n(make the window bigger; ctrl+q quits)"
            )

    def on_mount(self) -> None:
        self.query_one(NavBar).current = self.MODE
        if self.tapp.tune_gc:  # this screen's widgets live as long as the app (see app.freeze_gc)
            from thtui.tui.app import freeze_gc

            self.call_after_refresh(freeze_gc)
