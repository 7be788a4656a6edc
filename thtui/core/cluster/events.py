"""Events only a cluster run sends (typed, like thtui.core.jobs.events; front ends match them by name so
that they never import this package, nor Ray through it)."""

from __future__ import annotations

from dataclasses import dataclass

from thtui.core.events import Event


@dataclass(frozen=True)
class JobPlaced(Event):
    """A job's attempt landed on a node: the live views show `node:GPU` for it."""

    job_id: str
    node: str
    gpu: int | None
    attempt: int = 1
