"""Events only a cluster run sends (typed, like thtui.core.jobs.events; front ends match them by name so
that they never import this package, nor Ray through it)."""

from __future__ import annotations

from dataclasses import dataclass

from thtui.core.events import Event
from thtui.core.monitor.snapshots import GpuReading


@dataclass(frozen=True)
class JobPlaced(Event):
    """A job's attempt landed on a node: the live views show `node:GPU` for it."""

    job_id: str
    node: str
    gpu: int | None
    attempt: int = 1


@dataclass(frozen=True)
class NodeGpuProcess:
    """A process using one of a node's GPUs; `job_id` names the job of this run it belongs to (read on the
    node from the process's attempt mark, thtui.core.cluster.watchdog.ATTEMPT_ENV), else None."""

    pid: int  # in the node's process table, not the head's
    gpu_index: int
    used_bytes: int | None
    job_id: str | None = None


@dataclass(frozen=True)
class NodeGpus(Event):
    """One node's GPUs, read on that node by its own monitor backend (NVML, or the fake one) about once a
    second while a cluster run is live (thtui.core.cluster.node_gpus). Each GPU is named `node:index`.

    `error` says why there are no readings (no NVML there); `head` is True for the Ray node of the head's
    own machine, whose GPUs the head's local monitor shows too."""

    node: str
    node_id: str
    gpus: tuple[GpuReading, ...]
    processes: tuple[NodeGpuProcess, ...] = ()
    error: str | None = None
    head: bool = False

    def label(self, index: int) -> str:
        return f"{self.node}:{index}"

    def jobs_on(self, index: int) -> tuple[str, ...]:
        """The jobs of this run whose processes hold memory on GPU `index`, largest first."""
        procs = sorted(
            (p for p in self.processes if p.gpu_index == index and p.job_id),
            key=lambda p: -(p.used_bytes or 0),
        )
        return tuple(dict.fromkeys(p.job_id for p in procs if p.job_id))


@dataclass(frozen=True)
class NodeGpusLost(Event):
    """A node's GPUs left the view: the node died or its sampler cannot be reached. Views drop its last
    numbers (never show them as current)."""

    node: str
    node_id: str
    reason: str
