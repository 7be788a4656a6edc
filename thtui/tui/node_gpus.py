"""What the TUI knows of a cluster run's nodes: each node's latest GPU readings and their history (NodeGpus
events, about once a second), which nodes left (NodeGpusLost), and the node each job was placed on
(JobPlaced). Updated on the UI thread by the App's run-event handler; read by the Monitor screen.

Events are matched by class name, so the TUI never imports thtui.core.cluster (nor Ray through it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from thtui.tui.state import GpuSeries

NODE_EVENTS = ("NodeGpus", "NodeGpusLost", "JobPlaced")


@dataclass
class NodeView:
    node: str
    node_id: str
    run_key: str  # the TUI's run that samples it (its samplers end with that run)
    head: bool = False  # the Ray node of this machine: its GPUs are the local panels too
    sample: Any = None  # the latest NodeGpus; None once lost
    lost: str | None = None  # why it left the view
    indices: tuple[int, ...] = ()  # its GPUs, kept when it is lost (their panels say so)
    series: dict[int, GpuSeries] = field(default_factory=dict)

    def label(self, index: int) -> str:
        return f"{self.node}:{index}"


@dataclass(frozen=True)
class NodeProcessRow:
    """A GPU process on a node, for the Monitor's process table."""

    pid: int
    gpu: str  # node:index
    used_bytes: int | None
    job_id: str | None


class NodeBoard:
    def __init__(self) -> None:
        self.nodes: dict[str, NodeView] = {}  # node id -> view
        self.placed: dict[str, tuple[str, int | None]] = {}  # job id -> (node, GPU index on it)

    def apply(self, key: str, event: Any) -> bool:
        """Fold a run event in; True when it was one of this board's (the Monitor then redraws nodes)."""
        kind = type(event).__name__
        if kind == "JobPlaced":
            self.placed[event.job_id] = (event.node, event.gpu)
            return True
        if kind == "NodeGpus":
            view = self.nodes.get(event.node_id)
            if view is None or view.lost:  # a node that comes back is a new view (its old series dropped)
                view = self.nodes[event.node_id] = NodeView(event.node, event.node_id, key, event.head)
            view.node, view.run_key, view.sample = event.node, key, event
            view.indices = tuple(g.index for g in event.gpus)
            for g in event.gpus:
                series = view.series.setdefault(g.index, GpuSeries())
                series.util.append(g.util_pct)
                series.mem.append(g.mem_used)
            return True
        if kind == "NodeGpusLost":
            view = self.nodes.get(event.node_id)
            if view is None:
                return False
            view.lost, view.sample = event.reason, None
            view.series.clear()  # never drawn as if current
            return True
        return False

    def end_run(self, key: str) -> bool:
        """The run's samplers ended with it: its nodes leave the view (another live run brings them back
        at its next sample)."""
        gone = [node_id for node_id, v in self.nodes.items() if v.run_key == key]
        for node_id in gone:
            del self.nodes[node_id]
        return bool(gone)

    def views(self) -> list[NodeView]:
        return sorted(self.nodes.values(), key=lambda v: (v.node, v.node_id))

    def gpu_label(self, job_id: str, gpu: str) -> str:
        """The queue's GPU cell: `node:GPU` for a job placed on a node, else `gpu` as it was."""
        where = self.placed.get(job_id)
        if where is None:
            return gpu
        return f"{where[0]}:{'—' if where[1] is None else where[1]}"

    def job_on(self, view: NodeView, index: int, running: set[str]) -> str | None:
        """The job on a node's GPU: the one the node found holding it, else a running job placed there."""
        if view.sample is not None:
            found = view.sample.jobs_on(index)
            if found:
                return found[0]
        placed = [j for j, (node, gpu) in self.placed.items() if node == view.node and gpu == index]
        return next((j for j in placed if j in running), None)

    def process_rows(self) -> list[NodeProcessRow]:
        rows = []
        for view in self.views():
            if view.sample is None:
                continue
            for p in view.sample.processes:
                rows.append(NodeProcessRow(p.pid, view.label(p.gpu_index), p.used_bytes, p.job_id))
        return rows
