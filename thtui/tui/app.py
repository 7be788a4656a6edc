"""The thtui application: screens, keys, and the state that outlives any one screen.

The App is a composition root only. Work runs in thread workers (thtui/tui/workers.py) that post
messages; the App applies them to its state (thtui/tui/state.py) and publishes signals the screens
subscribe to. Dependencies are injected so tests run against a fake GPU, a frozen clock and tmp dirs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.signal import Signal

from thtui.core.catalog import Catalog
from thtui.core.config import Settings, load_settings
from thtui.core.jobs.signals import STOP_SIGNALS
from thtui.tui.commands import ThtuiCommands
from thtui.tui.foreign import start_foreign_watch
from thtui.tui.loghub import LogHub
from thtui.tui.messages import LogsPending
from thtui.tui.screens.solutions import SolutionsScreen
from thtui.tui.workers import CoreWorkers

if TYPE_CHECKING:
    from thtui.tui.results_data import ResultsReader

Clock = Callable[[], float]


class LazyScreen:
    """A MODES entry whose screen module is imported when the mode is first shown (or its bindings are
    first listed, by the command palette), not at start-up: the first screen appears sooner (issue 10)."""

    def __init__(self, module: str, name: str):
        self._where = (module, name)
        self._cls: type[Screen] | None = None

    @property
    def screen_class(self) -> type[Screen]:
        if self._cls is None:
            module, name = self._where
            self._cls = getattr(importlib.import_module(module), name)
        return self._cls

    def __call__(self) -> Screen:
        return self.screen_class()

    def __getattr__(self, attr: str) -> Any:  # BINDINGS, for the command palette
        return getattr(self.screen_class, attr)


SWITCH_HOLD_S = 0.005
WORKER_THREADS = 64


class ThtuiApp(CoreWorkers, App[int]):
    TITLE = "thtui"
    SUB_TITLE = "talking-head benchmark"
    CSS_PATH = "thtui.tcss"
    COMMANDS = App.COMMANDS | {ThtuiCommands}
    MODES = {
        "solutions": SolutionsScreen,  # the first screen: imported with the app
        "run": LazyScreen("thtui.tui.screens.run", "RunScreen"),
        "monitor": LazyScreen("thtui.tui.screens.monitor", "MonitorScreen"),
        "results": LazyScreen("thtui.tui.screens.results", "ResultsScreen"),
    }
    DEFAULT_MODE = "solutions"
    BINDINGS = [
        Binding("1", "switch_mode('solutions')", "Solutions", id="screen.solutions"),
        Binding("2", "switch_mode('run')", "Run", id="screen.run"),
        Binding("3", "switch_mode('monitor')", "Monitor", id="screen.monitor"),
        Binding("4", "switch_mode('results')", "Results", id="screen.results"),
        Binding("f1,question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="quit.priority"),
    ]

    busy_summary: reactive[str] = reactive("")

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        *,
        gpu_backend_factory: Callable[[], Any] | None = None,
        clock: Clock = time.time,
        monitor_hz: float = 4.0,
        live_monitor: bool = True,
        ascii_only: bool | None = None,
        tune_gc: bool = False,
    ):
        super().__init__()
        self.settings = settings
        self.catalog = catalog
        self.gpu_backend_factory = gpu_backend_factory
        self.clock = clock
        self.monitor_hz = monitor_hz  # sampling rate of jobs' metrics; panels repaint at most 2 Hz
        self.live_monitor = live_monitor  # False: no sampler (snapshot tests feed MonitorSampled themselves)
        self.ascii_only = bool(os.environ.get("THTUI_ASCII")) if ascii_only is None else ascii_only
        self.tune_gc = tune_gc
        self.logs = LogHub(self._announce_logs)
        self.installs_changed: Signal[str] = Signal(self, "installs-changed")
        self.jobs_changed: Signal[str] = Signal(self, "jobs-changed")
        self.sampled: Signal[Any] = Signal(self, "sampled")
        self.logs_changed: Signal[str] = Signal(self, "logs-changed")
        self.init_core_state()

    @cached_property
    def results(self) -> ResultsReader:
        """The stored runs, as the Results screen reads them; made on first use, so start-up does not
        import the store (and psutil, the scores) before the first frame."""
        from thtui.tui.results_data import ResultsReader

        return ResultsReader(self.settings)

    def _announce_logs(self, key: str) -> None:
        # Called from producer threads, at most once per batch (see LogBuffer).
        self.post_message(LogsPending(key))

    def on_logs_pending(self, message: LogsPending) -> None:
        buf = self.logs.get(message.key)
        if buf is not None:
            buf.acknowledge()
        self.logs_changed.publish(message.key)

    def on_mount(self) -> None:
        # Thread workers run on the loop's default executor: min(32, cores + 4) threads, 6 on a 2-core
        # box. The monitor, every install and every run hold one each for minutes, which would leave
        # short reads (results, file checks, log widths) queued behind them. Give them room.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="thtui-worker")
        )
        if self.live_monitor:
            # After the first screen is painted: these threads import psutil, NVML and the store, and
            # under the GIL that work would hold up the first frame (start-up budget, issue 10).
            self.call_after_refresh(self._start_watching)
        if self.tune_gc:
            self.call_after_refresh(freeze_gc)
        if not self.is_headless:  # a real terminal: its signals stop the jobs first (tests: pytest's own)
            loop = asyncio.get_running_loop()
            for sig in STOP_SIGNALS:
                loop.add_signal_handler(sig, self.stop_on_signal, sig)

    def _start_watching(self) -> None:
        self.start_monitor()
        start_foreign_watch(self)  # runs of other thtui processes, live in Monitor and Results

    def delay_update(self, delay: float = 0.05) -> None:
        # Textual holds the screen for 50 ms after a mode switch to mask the transition. Our screens
        # stay built between switches, so there is nothing to mask and the hold was most of the
        # key-to-repaint time of 1/2/3/4 (benchmarks/tui_latency.py). One short tick is enough.
        super().delay_update(min(delay, SWITCH_HOLD_S))

    def action_help(self) -> None:
        from thtui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        self.quit_cleanly()


def freeze_gc() -> None:
    """Move every object alive now (widgets, styles, the catalog) out of the collector's sight.

    A full collection walks every tracked object; with a whole widget tree alive that took up to 250 ms
    under a flooding log (benchmarks/tui_latency.py), a visible freeze. Frozen objects are never freed,
    which is right for things that live as long as the app; it is done again as screens are first built.
    The collector is turned on here too: `thtui` keeps it off from its first import to the first frame
    (thtui/cli/__init__.py).
    """
    gc.freeze()
    gc.enable()


def run_app(args: argparse.Namespace | None) -> int:
    from thtui.cli.common import catalog_from, settings_from

    settings = settings_from(args) if args is not None else load_settings()
    return run_tui(ThtuiApp(settings, catalog_from(settings), tune_gc=True))


def run_tui(app: ThtuiApp) -> int:
    """Run the app to its end, then make sure no job outlives it and say how to resume what it stopped."""
    from thtui.core.jobs.proctree import end_all_trees

    try:
        app.run()
    finally:
        gc.enable()  # off since start-up (thtui/cli/__init__.py) if the app never painted a frame
        if app.exit_watchdog is not None:
            app.exit_watchdog.disarm()
        end_all_trees()  # normally already done by the runner: the net for an app that died mid-way
    if app.stop_signal is not None and app.stop_signal == signal.SIGHUP:
        return app.return_code or 0  # the terminal is gone; the runs say "interrupted" in `thtui runs`
    for run_id in app.interrupted_runs:
        print(f"run {run_id} interrupted: continue with  thtui run --resume {run_id}", flush=True)
    if app.detached_runs:
        from thtui.tui.detached import still_running

        for line in still_running(app.settings, app.detached_runs):
            print(line, flush=True)
    return app.return_code or 0
