"""Leaving the TUI on a signal (SIGTERM, SIGHUP, SIGINT) without leaving a job behind.

The normal way out (Textual's exit) restores the terminal, but after a hang-up that path can block for
good: the driver's writer thread dies on the first write to the vanished terminal and the shutdown
then waits on its full queue. So a watchdog thread, started with the stop, waits for the run threads to
finish (each ends its jobs' process trees and records the run as interrupted), ends any tree still
registered, gives Textual a moment to exit cleanly, and otherwise ends the process itself.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

RUNS_STOP_WAIT_S = 90.0  # a job gets SIGTERM, then SIGKILL after its grace period (10 s by default)


class RunThreads:
    """How many run worker threads are alive, and a way to wait until none is."""

    def __init__(self) -> None:
        self._count = 0
        self._cv = threading.Condition()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        with self._cv:
            self._count += 1
        try:
            yield
        finally:
            with self._cv:
                self._count -= 1
                self._cv.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        with self._cv:
            return self._cv.wait_for(lambda: self._count == 0, timeout)


class ExitWatchdog:
    """Started when a signal begins the stop; `disarm()` once the app has exited on its own."""

    def __init__(self, runs: RunThreads, exit_code: int, grace_s: float):
        self._runs = runs
        self._exit_code = exit_code
        self._grace_s = grace_s
        self._disarmed = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="thtui-exit-watchdog", daemon=True)

    def start(self) -> ExitWatchdog:
        self._thread.start()
        return self

    def disarm(self) -> None:
        self._disarmed.set()

    def _watch(self) -> None:
        from thtui.core.jobs.proctree import end_all_trees

        self._runs.wait_idle(RUNS_STOP_WAIT_S)
        end_all_trees()
        if not self._disarmed.wait(self._grace_s):
            os._exit(self._exit_code)  # Textual's shutdown is stuck (hung-up terminal): nothing is left to do
