"""What every top-level screen shares: the nav bar on top, the footer at the bottom, typed app access."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.screen import Screen

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


class ThtuiScreen(Screen):
    MODE = ""

    @property
    def tapp(self) -> ThtuiApp:
        return cast("ThtuiApp", self.app)

    def compose(self) -> ComposeResult:
        yield NavBar(id="nav")
        yield from self.compose_body()
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.query_one(NavBar).current = self.MODE
        if self.tapp.tune_gc:  # this screen's widgets live as long as the app (see app.freeze_gc)
            from thtui.tui.app import freeze_gc

            self.call_after_refresh(freeze_gc)
