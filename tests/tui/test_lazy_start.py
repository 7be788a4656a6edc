"""The TUI's start-up structure (issue 10, fast start): only the first screen's module is imported with the
app, the others on their first visit, and the collector that `thtui` turns off for start-up comes back."""

from __future__ import annotations

import gc
import json
import subprocess
import sys

from thtui.tui.app import ThtuiApp, freeze_gc
from thtui.tui.screens.monitor import MonitorScreen
from thtui.tui.screens.results import ResultsScreen
from thtui.tui.screens.run import RunScreen

LATER = ["thtui.tui.screens.run", "thtui.tui.screens.monitor", "thtui.tui.screens.results"]
# The store (sqlite3, psutil through run states) is read by the Results screen: app.results is made on use.
STORE = ["thtui.tui.results_data", "thtui.core.store"]


def test_importing_the_app_leaves_the_other_screens_for_later() -> None:
    code = "import json, sys\nimport thtui.tui.app\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(json.loads(proc.stdout))
    assert "thtui.tui.screens.solutions" in loaded
    assert not loaded & set(LATER)
    assert not loaded & set(STORE)


def test_each_lazy_mode_builds_its_screen_and_lists_its_keys() -> None:
    modes = ThtuiApp.MODES
    for mode, cls in (("run", RunScreen), ("monitor", MonitorScreen), ("results", ResultsScreen)):
        assert isinstance(modes[mode](), cls)
        assert modes[mode].BINDINGS is cls.BINDINGS  # what the command palette reads


def test_the_results_reader_is_made_on_first_use(settings, catalog) -> None:
    from thtui.tui.results_data import ResultsReader

    app = ThtuiApp(settings, catalog, live_monitor=False)
    assert "results" not in vars(app)
    assert isinstance(app.results, ResultsReader) and app.results is app.results


def test_the_first_frame_turns_the_collector_back_on() -> None:
    gc.disable()
    try:
        freeze_gc()
        assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
