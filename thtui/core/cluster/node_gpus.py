"""Every node's GPUs, live on the head during a cluster run: one small sampler actor per node, polled.

On each alive node that has GPUs the head starts a `NodeSampler` actor (no CPU reserved, pinned to the
node with a hard NodeAffinitySchedulingStrategy). It reads the node's GPUs with the node's own monitor
backend (thtui.core.monitor.open_backend: NVML there, or the fake backend where THTUI_GPU_BACKEND=fake)
and names the job of this run behind each GPU process from the process's attempt mark (the same
environment variable the watchdog ends trees by). The head polls every actor about once a second and
hands each answer to the run's sink as a NodeGpus event; a node that dies (or whose actor does) becomes
a NodeGpusLost event and leaves the view. Nodes that join mid-run get a sampler at the next refresh.

The actors are the run's: killed when it ends (cancel included), and owned by the head's Ray driver, so
Ray ends them too when the head's process goes. Ray is imported only here and only when a run uses it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from thtui.core.cluster.events import NodeGpuProcess, NodeGpus, NodeGpusLost

PERIOD_S = 1.0  # one reading per node per second: live enough for panels, nothing for the node
NODES_REFRESH_S = 5.0  # how often the head looks for nodes that joined or died (Ray's node table)
STALE_AFTER_S = 10.0  # a sampler that has not answered for this long: its numbers are no longer shown
NAME_PREFIX = "thtui-gpus-"
FAKE_GPU_DIR_ENV = "THTUI_FAKE_GPU_DIR"  # the fake backend's pid dir on a node (FakeGpuBackend.pid_dir)


def node_backend(gpu_count: int) -> Any:
    """This node's GPU backend, chosen as on one box (open_backend). The fake one gets as many boards as
    Ray says the node has, and the node's announcement dir when THTUI_FAKE_GPU_DIR names one."""
    from thtui.core.monitor import open_backend
    from thtui.core.monitor.backends import BACKEND_ENV, FakeDevice

    fake = None
    if os.environ.get(BACKEND_ENV) == "fake":
        fake = {"devices": [FakeDevice() for _ in range(max(1, gpu_count))]}
        if os.environ.get(FAKE_GPU_DIR_ENV):
            fake["pid_dir"] = Path(os.environ[FAKE_GPU_DIR_ENV])
    return open_backend(fake=fake)


def sampler_name(run_id: str, node_id: str) -> str:
    return f"{NAME_PREFIX}{run_id}-{node_id[:16]}"


class JobMarks:
    """pid -> the job of run `run_id` it belongs to, read once per process from its environment."""

    def __init__(self, run_id: str):
        self.prefix = run_id + "/"
        self._known: dict[int, tuple[float, str | None]] = {}  # pid -> (create time, job id)

    def job_of(self, pid: int) -> str | None:
        import psutil

        from thtui.core.cluster.watchdog import ATTEMPT_ENV

        try:
            proc = psutil.Process(pid)
            born = proc.create_time()
            known = self._known.get(pid)
            if known is not None and known[0] == born:  # the same process (a pid can be reused)
                return known[1]
            token = proc.environ().get(ATTEMPT_ENV, "")
        except (psutil.Error, OSError):  # gone, or not ours to read
            return None
        job = token.split("#", 1)[0] if token.startswith(self.prefix) else None
        self._known[pid] = (born, job)
        return job

    def forget_all_but(self, pids: set[int]) -> None:
        self._known = {p: v for p, v in self._known.items() if p in pids}


class NodeSampler:
    """The actor's class (wrapped with ray.remote by the head). One per node and run."""

    def __init__(self, run_id: str, node_id: str, gpu_count: int, head: bool = False):
        from thtui.core.cluster.node import node_name
        from thtui.core.monitor.sampler import _without_energy

        self.node = node_name()  # as the node's jobs name it (JobPlaced), not Ray's NodeName (an IP)
        self.node_id, self.head = node_id, head
        self.backend = node_backend(gpu_count)
        self.read_devices = _without_energy(self.backend)  # NVML's energy counter is dear; not shown
        self.marks = JobMarks(run_id)

    def sample(self) -> NodeGpus:
        from thtui.core.monitor.sampler import _pids_visible

        try:
            gpus = self.read_devices()
            procs = self.backend.read_processes()
            error = self.backend.error
        except Exception as exc:  # a GPU that fell off the bus: say so, keep sampling
            gpus, procs, error = [], [], f"GPU read failed: {exc}"
        self.marks.forget_all_but({p.pid for p in procs})
        # In another PID namespace (Ray in a container) NVML's pids are the host's: the same number here may
        # be another process, so no job is named rather than a wrong one (as the local monitor does).
        visible = _pids_visible(procs)
        rows = tuple(
            NodeGpuProcess(p.pid, p.gpu_index, p.used_bytes, self.marks.job_of(p.pid) if visible else None)
            for p in procs
        )
        return NodeGpus(self.node, self.node_id, tuple(gpus), rows, error, self.head)

    def close(self) -> None:
        self.backend.close()


class NodeGpuWatch:
    """Head side: a sampler per GPU node, each polled every PERIOD_S on one thread; events to `sink`."""

    def __init__(self, ray: Any, run_id: str, sink: Callable[[Any], None], period: float = PERIOD_S):
        self.ray, self.run_id, self.sink, self.period = ray, run_id, sink, period
        self.here = ray.get_runtime_context().get_node_id()
        self._actors: dict[str, tuple[str, Any]] = {}  # node id -> (node name, actor handle)
        self._pending: dict[str, tuple[Any, float]] = {}  # node id -> (its sample in flight, when asked)
        self._gone: set[str] = set()  # nodes that left the view: never sampled again in this run
        self._sampler: Any = None  # NodeSampler as a Ray actor class, made once
        self._next_refresh = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="thtui-node-gpus", daemon=True)

    def start(self) -> NodeGpuWatch:
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            with contextlib.suppress(Exception):  # a cluster hiccup never ends the run: next round
                self.poll()
            self._stop.wait(max(0.0, self.period - (time.monotonic() - started)))

    def poll(self) -> None:
        """One round: find new and dead nodes (every NODES_REFRESH_S), ask each sampler for a reading,
        and pass on what came back within the period."""
        ray = self.ray
        if time.monotonic() >= self._next_refresh:
            self._next_refresh = time.monotonic() + NODES_REFRESH_S
            self._refresh_nodes()
        now = time.monotonic()
        for node_id, (_, actor) in list(self._actors.items()):
            if node_id not in self._pending:  # a node that has not answered the last one is not asked again
                self._pending[node_id] = (actor.sample.remote(), now)
            elif now - self._pending[node_id][1] >= STALE_AFTER_S:
                # No answer (a partitioned node, a hung NVML call): its last numbers must not pass for live.
                self._lost(node_id, f"no reading for {STALE_AFTER_S:.0f} s")
        if not self._pending:
            return
        by_ref = {ref: node_id for node_id, (ref, _asked) in self._pending.items()}
        ready, _ = ray.wait(list(by_ref), num_returns=len(by_ref), timeout=self.period * 0.8)
        for ref in ready:
            node_id = by_ref[ref]
            del self._pending[node_id]
            try:
                event = ray.get(ref)
            except Exception as exc:  # the actor died: with its node, or on its own
                self._lost(node_id, f"its sampler died ({type(exc).__name__})")
                continue
            if not self._stop.is_set() and node_id in self._actors:
                _, actor = self._actors[node_id]
                self._actors[node_id] = (event.node, actor)  # the name its jobs go by, for NodeGpusLost
                self.sink(event)

    def _refresh_nodes(self) -> None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from thtui.core.cluster.connect import list_nodes

        nodes = {n.node_id: n for n in list_nodes(self.ray)}
        for node_id in list(self._actors):
            node = nodes.get(node_id)
            if node is None or not node.alive:
                self._lost(node_id, "left the cluster")
        for node in nodes.values():
            if not node.alive or node.gpus <= 0 or node.node_id in self._actors or node.node_id in self._gone:
                continue
            if self._sampler is None:
                self._sampler = self.ray.remote(num_cpus=0, max_restarts=0)(NodeSampler)
            actor = self._sampler.options(
                name=sampler_name(self.run_id, node.node_id),
                scheduling_strategy=NodeAffinitySchedulingStrategy(node.node_id, soft=False),
            ).remote(self.run_id, node.node_id, node.gpus, node.node_id == self.here)
            self._actors[node.node_id] = (node.name, actor)

    def _lost(self, node_id: str, reason: str) -> None:
        name, actor = self._actors.pop(node_id, ("?", None))
        self._pending.pop(node_id, None)
        self._gone.add(node_id)
        with contextlib.suppress(Exception):
            self.ray.kill(actor)
        if not self._stop.is_set():
            self.sink(NodeGpusLost(name, node_id, reason))

    def close(self, lost: bool = False) -> None:
        """Stop polling and end every sampler (the run is over, cancelled or failed). `lost`: the cluster is
        gone; nothing is asked of it (its calls would block), the samplers end with their nodes' raylets."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=0.5 if lost else 10)
        if lost:
            return
        for _, actor in list(self._actors.values()):
            with contextlib.suppress(Exception):  # the cluster is gone: nothing to end there
                self.ray.kill(actor)
        self._actors.clear()
        self._pending.clear()
