"""Which job runs next, and how a running job is cancelled from outside the run (cancel_job)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from thtui.core.jobs.matrix import PlannedJob

T = TypeVar("T")

_ACTIVE: dict[str, threading.Event] = {}
_ACTIVE_LOCK = threading.Lock()


def cancel_job(job_id: str) -> bool:
    """Cancel one running job (its whole process tree ends; the run goes on). False if not running here."""
    with _ACTIVE_LOCK:
        event = _ACTIVE.get(job_id)
    if event is None:
        return False
    event.set()
    return True


def active_jobs() -> list[str]:
    with _ACTIVE_LOCK:
        return sorted(_ACTIVE)


@contextmanager
def cancellable(job_id: str, run_cancel: threading.Event) -> Iterator[_Either]:
    """While a job runs: cancel_job(job_id) reaches it. Yields what the runner polls (`.is_set()`), set by
    the job's own cancel or the run's."""
    event = threading.Event()
    with _ACTIVE_LOCK:
        _ACTIVE[job_id] = event
    try:
        yield _Either(event, run_cancel)
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.pop(job_id, None)


class _Either:
    """Set when either event is: a job stops on its own cancel or on the run's."""

    def __init__(self, a: threading.Event, b: threading.Event):
        self.a, self.b = a, b

    def is_set(self) -> bool:
        return self.a.is_set() or self.b.is_set()

    def source(self) -> str:
        """Who stopped the job: "job" (cancel_job, the user dropped this one) or "run" (the whole run was
        stopped: Ctrl-C, quit, cancel run). Resume re-runs the second kind, not the first."""
        return "job" if self.a.is_set() and not self.b.is_set() else "run"


class JobQueue:
    """Pending jobs in matrix order. take() blocks until a job may start: its solution's warm-up is done,
    and its clone is free when the solution needs an exclusive cwd. None when nothing is left."""

    def __init__(self, jobs: Iterable[PlannedJob], exclusive: set[str]):
        self._pending = list(jobs)
        self._exclusive = exclusive
        self._busy: Counter[str] = Counter()
        self._warmups: Counter[str] = Counter(j.solution for j in self._pending if j.info.warmup)
        self._cond = threading.Condition()
        self._closed = False

    def take(self) -> PlannedJob | None:
        with self._cond:
            while True:
                if self._closed or not self._pending:
                    return None
                for job in self._pending:
                    if self._may_start(job):
                        self._start(job)
                        return job
                self._cond.wait(0.5)

    def take_fitting(
        self, pick: Callable[[list[PlannedJob]], tuple[PlannedJob, T] | None], stop: threading.Event
    ) -> tuple[PlannedJob, T] | None:
        """Like take(), for packing: `pick` sees the jobs that may start now (in order) and returns the
        one it admits with where it goes, or None to wait (until done() or wake()). None when nothing
        is left, or once `stop` is set (what was not started stays pending, for resume)."""
        with self._cond:
            while True:
                if self._closed or not self._pending or stop.is_set():
                    return None
                ready = [j for j in self._pending if self._may_start(j)]
                got = pick(ready) if ready else None
                if got is not None:
                    self._start(got[0])
                    return got
                self._cond.wait(0.2)

    def wake(self) -> None:
        """Something take_fitting's `pick` depends on changed (a GPU share was released)."""
        with self._cond:
            self._cond.notify_all()

    def _may_start(self, job: PlannedJob) -> bool:
        if self._busy[job.solution] and job.solution in self._exclusive:
            return False
        return job.info.warmup or not self._warmups[job.solution]

    def _start(self, job: PlannedJob) -> None:
        self._pending.remove(job)
        self._busy[job.solution] += 1

    def done(self, job: PlannedJob) -> None:
        with self._cond:
            self._busy[job.solution] -= 1
            if job.info.warmup:
                self._warmups[job.solution] -= 1
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
