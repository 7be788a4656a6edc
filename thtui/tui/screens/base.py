"""What every top-level screen shares: the nav bar on top, the footer at the bottom, typed app access."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from thtui.tui.widgets.nav_bar import NavBar

if TYPE_CHECKING:
    from thtui.tui.app import ThtuiApp


class ThtuiScreen(Screen):
    MODE = ""

    @property
    def tapp(self) -> ThtuiApp:
        return cast("ThtuiApp", self.app)

    def compose(self) -> ComposeResult:
        yield NavBar(id="nav")
        yield from self.compose_body()
        yield Footer(compact=True)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.query_one(NavBar).current = self.MODE
