"""Live events and cancel between the head and the nodes, through one small Ray actor per run.

The node pushes its job's events (log lines, progress, start) in batches every PUSH_S and learns in the
answer whether the head asked that job to stop; the head drains the events into the run's sink. The actor
lives on the head's own node, so a worker node that dies takes nothing of the run with it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

PUSH_S = 0.25


class Relay:
    """The actor's class (wrapped with ray.remote by the head). Plain data in, plain data out."""

    def __init__(self) -> None:
        self._events: list[Any] = []
        self._cancelled: set[str] = set()
        self._where: dict[tuple[str, int], dict[str, Any]] = {}

    def push(self, job_id: str, events: list[Any]) -> bool:
        self._events.extend(events)
        return job_id in self._cancelled

    def placed(self, job_id: str, attempt: int, where: dict[str, Any]) -> bool:
        self._where[(job_id, attempt)] = where
        return job_id in self._cancelled

    def where(self, job_id: str, attempt: int) -> dict[str, Any] | None:
        return self._where.get((job_id, attempt))

    def drain(self) -> list[Any]:
        events, self._events = self._events, []
        return events

    def cancel(self, job_id: str) -> None:
        self._cancelled.add(job_id)


class NodeLink:
    """Node side: buffers the runner's events and pushes them to the relay; sets `cancel` when the head
    asks. A relay that cannot be reached never stops the job (its events are dropped, not the video)."""

    def __init__(self, ray: Any, relay: Any, job_id: str, cancel: threading.Event):
        self.ray, self.relay, self.job_id, self.cancel = ray, relay, job_id, cancel
        self._buf: list[Any] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="thtui-relay-push", daemon=True)
        self._thread.start()

    def send(self, event: Any) -> None:
        with self._lock:
            self._buf.append(event)

    def _flush(self) -> None:
        with self._lock:
            batch, self._buf = self._buf, []
        with contextlib.suppress(Exception):
            if self.ray.get(self.relay.push.remote(self.job_id, batch), timeout=10):
                self.cancel.set()

    def _loop(self) -> None:
        while not self._stop.wait(PUSH_S):
            self._flush()

    def close(self, wait: bool = True) -> None:
        """The last events reach the relay before the task returns, so the head sees them before the end.
        `wait=False`: the head is gone; its relay with it."""
        self._stop.set()
        self._thread.join(timeout=15 if wait else 0.5)
        if wait:
            self._flush()


class Pump:
    """Head side: drains the relay into `sink` every PUSH_S on its own thread; `flush()` on demand."""

    def __init__(self, ray: Any, relay: Any, sink: Callable[[Any], None]):
        self.ray, self.relay, self.sink = ray, relay, sink
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="thtui-relay-pump", daemon=True)
        self._thread.start()

    def flush(self) -> None:
        with self._lock:
            try:
                events = self.ray.get(self.relay.drain.remote(), timeout=10)
            except Exception:  # the relay is unreachable: the next flush tries again
                return
            for e in events:
                self.sink(e)

    def _loop(self) -> None:
        while not self._stop.wait(PUSH_S):
            self.flush()

    def close(self, flush: bool = True) -> None:
        """`flush=False`: the cluster is gone; do not wait on it."""
        self._stop.set()
        self._thread.join(timeout=15 if flush else 0.5)
        if flush:
            self.flush()
