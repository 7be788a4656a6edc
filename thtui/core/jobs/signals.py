"""Ways out of a process that runs jobs: SIGINT (Ctrl+C in its terminal), SIGTERM and SIGHUP (its
terminal went away: a dropped SSH connection) all end the same way — the run is cancelled, every job's
process tree is ended by the runner, the run is recorded as interrupted — instead of each signal's
default (die at once, or KeyboardInterrupt wherever the main thread happens to be).

Why not KeyboardInterrupt: on CPython before 3.13 a KeyboardInterrupt that lands in Thread.join()
marks the still-running thread as stopped (bpo-45274's fix releases its lock), so the caller went on as
if the run had ended and exited while the run thread — the only one that could end the jobs — was
killed with the interpreter. A handler that only sets events has no such window.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def exit_status(signum: int) -> int:
    """The shell's convention for a process ended by a signal: 128 + its number (130 for Ctrl+C)."""
    return 128 + int(signum)


def detach_from_terminal() -> None:
    """After a hang-up the terminal is gone and every write to it fails (EIO): point stdin, stdout and
    stderr at /dev/null, as nohup would have, so the rest of the shutdown cannot trip on a write."""
    fd = os.open(os.devnull, os.O_RDWR)
    try:
        for target in (0, 1, 2):
            with contextlib.suppress(OSError):
                os.dup2(fd, target)
    finally:
        os.close(fd)


class StopOnSignals:
    """Context manager (main thread only): while inside, SIGINT/SIGTERM/SIGHUP set `cancel` and are
    counted; the previous handlers come back on exit. `received` is the first signal (None if none),
    `count` how many arrived — the caller polls them to say "stopping…" outside the handler (printing
    from a handler could deadlock on a lock the interrupted code holds)."""

    def __init__(self, cancel: threading.Event, on_hangup: Callable[[], None] | None = detach_from_terminal):
        self.cancel = cancel
        self.on_hangup = on_hangup
        self.received: int | None = None
        self.count = 0
        self.hung_up = False
        self._old: dict[int, object] = {}

    def _handle(self, signum: int, _frame: object) -> None:
        if self.received is None:
            self.received = signum
        self.count += 1
        if signum == signal.SIGHUP and not self.hung_up:
            self.hung_up = True
            if self.on_hangup is not None:
                self.on_hangup()
        self.cancel.set()

    def __enter__(self) -> StopOnSignals:
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)  # type: ignore[arg-type]
        self._old.clear()
