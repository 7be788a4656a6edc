"""Leaving the TUI on a signal (SIGTERM, SIGHUP, SIGINT) without leaving a job behind.

The normal way out (Textual's exit) restores the terminal, but after a hang-up that path can block for
good: the driver's writer thread dies on the first write to the vanished terminal and the shutdown
then waits on its full queue. So a watchdog thread, started with the stop, waits for the run threads to
finish (each ends its jobs' process trees and records the run as interrupted), ends any tree still
registered, gives Textual a moment to exit cleanly, and otherwise ends the process itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING

from textual import work

if TYPE_CHECKING:
    from thtui.tui.app import ThtuiApp

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


class Stopping:
    """Mixin for ThtuiApp (through CoreWorkers): quitting, by key or by signal, never leaves a job behind."""

    def cancel_everything(self: ThtuiApp) -> None:
        for progress in self.installs.values():
            if progress.active:
                progress.cancel.set()
        for run in self.runs.active_runs:
            run.cancel.set()

    def quit_cleanly(self: ThtuiApp) -> None:
        """Quit now when idle; otherwise ask, then stop every install and job before exiting."""
        from thtui.tui.screens.confirm import ConfirmScreen

        busy = self.busy_items()
        if not busy:
            self._monitor_stop.set()
            self.exit(0)
            return
        question = f"{len(busy)} task(s) still running: {', '.join(busy)[:200]}"
        detail = "Quitting stops them (their processes are ended) and then exits."
        if self.runs.active_runs:
            detail += (
                " A stopped run is kept: continue it later with `thtui run --resume ID` (or R in Results)."
            )
        self.quit_question = ConfirmScreen(question, detail, yes="Stop and quit")
        self.push_screen(self.quit_question, self._quit_answered)

    def _quit_answered(self: ThtuiApp, yes: bool | None) -> None:
        self.quit_question = None
        if yes:
            self._stop_and_quit()

    def quit_if_asked(self: ThtuiApp) -> None:
        """The work the quit question was about ended while it was open: there is nothing left to stop,
        and quitting is what the user asked for."""
        if self.quit_question is not None and self.quit_question.is_current:
            self.quit_question.dismiss(True)

    def stop_on_signal(self: ThtuiApp, signum: int) -> None:
        """SIGTERM, SIGHUP (the terminal went away) or SIGINT sent to the app: no question to ask — stop
        every install and job (their process trees end), then exit with 128 + the signal's number; the
        terminal is restored on the way out (Textual's driver), and run_app prints how to resume."""
        from thtui.core.jobs.signals import detach_from_terminal, exit_status

        if self.stop_signal is not None:
            return  # already stopping
        self.stop_signal = signum
        hung_up = signum == signal.SIGHUP
        if hung_up:
            detach_from_terminal()  # every write to a hung-up terminal fails: nobody is reading
        self.cancel_everything()
        self.exit_watchdog = ExitWatchdog(self.run_threads, exit_status(signum), 2.0 if hung_up else 15.0)
        self.exit_watchdog.start()
        self._stop_and_quit(exit_status(signum))

    @work(exclusive=True, group="quit", exit_on_error=False, description="Stopping work before quitting")
    async def _stop_and_quit(self: ThtuiApp, return_code: int = 0) -> None:
        self.notify("stopping running work…", timeout=30)
        self.cancel_everything()
        await self._wait_for_groups(("install", "run"), timeout=60.0)
        self._monitor_stop.set()
        self.exit(return_code=return_code)

    async def _wait_for_groups(self: ThtuiApp, groups: tuple[str, ...], timeout: float) -> None:
        workers = [w for w in self.workers if w.group in groups and not w.is_finished]
        if not workers:
            return
        try:
            await asyncio.wait_for(self.workers.wait_for_complete(workers), timeout)
        except asyncio.TimeoutError:
            self.log.warning("some workers did not stop in time")
