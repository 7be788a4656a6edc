"""The thtui application. Screens are thin views over thtui.core; see thtui/tui/screens/."""

from __future__ import annotations

import argparse

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header

from thtui.core.catalog import Catalog
from thtui.core.config import Settings, load_settings
from thtui.core.install_status import solution_status


class ThtuiApp(App[int]):
    TITLE = "thtui"
    SUB_TITLE = "talking-head benchmark"
    BINDINGS = [Binding("q", "quit", "Quit", id="quit")]

    def __init__(self, settings: Settings, catalog: Catalog):
        super().__init__()
        self.settings = settings
        self.catalog = catalog

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="solutions", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#solutions", DataTable)
        table.add_columns("solution", "status", "licence", "commercial", "VRAM est.")
        for s in self.catalog:
            sol = s.solution
            table.add_row(
                sol.name,
                solution_status(self.settings, s).state,
                sol.license.code,
                sol.license.commercial,
                f"{sol.estimates.vram_gb:g} GB" if sol.needs_gpu else "no GPU",
                key=sol.name,
            )


def run_app(args: argparse.Namespace) -> int:
    from thtui.cli.common import catalog_from, settings_from

    settings = settings_from(args) if args is not None else load_settings()
    app = ThtuiApp(settings, catalog_from(settings))
    return app.run() or 0
