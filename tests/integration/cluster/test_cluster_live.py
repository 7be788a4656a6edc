"""Live view of a cluster run: every node's GPUs come to the head as events (node name + index, the job of
the run on each GPU, named on the node), the samplers end with the run, a dead node leaves the view."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psutil
import pytest
from clusterlab import ClusterLab

from thtui.core.cluster.events import NodeGpus, NodeGpusLost
from thtui.core.cluster.node_gpus import NAME_PREFIX
from thtui.core.events import Collector
from thtui.core.jobs import RunSpec, start_run
from thtui.core.monitor import FakeGpuBackend, MiB, Monitor
from thtui.core.store import Store

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(240)]

LIVE_NODE = "node-c"  # two fake GPUs; the only node with the live stand-ins (long jobs announcing VRAM)
# Each test that stops a live stand-in mid-job has its own (a killed job leaves its clone's lock file);
# the test that kills node-c comes last of those that use it.


@pytest.fixture
def live_node(cluster: ClusterLab) -> str:
    """node-c while it lives; once a test killed it, a fresh one (tests may run in any order under xdist)."""
    for n in range(1, 10):
        name = LIVE_NODE if n == 1 else f"{LIVE_NODE}{n}"
        if name in cluster.nodes:
            return name
        if not (cluster.root / "nodes" / name).exists():
            cluster.add_node(name, ("standin_live", "standin_live2", "standin_live3"), gpus=2)
            return name
    raise AssertionError("no live node left")


def _start(
    lab: ClusterLab, solution: str, cancel: threading.Event
) -> tuple[threading.Thread, Collector, dict]:
    events, box = Collector(), {}
    spec = RunSpec(solutions=(solution,), images=(lab.image,), audios=(lab.audio,), cluster=lab.address,
                   score=False, grace_s=2.0)  # fmt: skip

    def work() -> None:
        monitor = Monitor(FakeGpuBackend(), rate_hz=4).start()
        store = Store(lab.head.db_path)
        try:
            box["result"] = start_run(lab.head, lab.catalog, spec, events, cancel, monitor=monitor,
                                      store=store, fingerprint=False)  # fmt: skip
        finally:
            monitor.close()
            store.close()

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    return worker, events, box


def _wait_for(what: Callable[[], object], timeout: float, why: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(why)


def _attributed(events: Collector, node: str) -> list[NodeGpus]:
    return [e for e in list(events.events) if isinstance(e, NodeGpus) and e.node == node and e.jobs_on(0)]


def _samplers_left() -> list[str]:
    import ray

    return [a for a in ray.util.list_named_actors() if a.startswith(NAME_PREFIX)]


def _no_samplers_left() -> None:
    left = _wait_for(lambda: not _samplers_left() or None, 15, f"sampler actors left: {_samplers_left()}")
    assert left


def test_every_nodes_gpus_reach_the_head_named_and_attributed(cluster: ClusterLab, live_node: str) -> None:
    cancel = threading.Event()
    worker, events, box = _start(cluster, "standin_live", cancel)
    try:
        seen = _wait_for(lambda: _attributed(events, live_node), 90, "no sample named the job on its GPU")
    finally:
        cancel.set()  # the job runs for a minute: the run is cancelled once the view is checked
        worker.join(timeout=120)
    assert not worker.is_alive()
    result = box["result"]
    (job,) = result.jobs
    sample = seen[0]
    assert sample.jobs_on(0) == (job.job.job_id,)  # the node read the job's mark on the GPU's process
    (proc,) = [p for p in sample.processes if p.job_id]
    assert proc.gpu_index == 0 and proc.used_bytes == 1000 * MiB  # the stand-in's announced VRAM
    assert sample.gpus[0].mem_used >= 1000 * MiB and sample.gpus[0].util_pct == 87
    # Samples from every node, each with its own GPUs: the nodes' names, not addresses.
    samples = events.of(NodeGpus)
    gpus_of = {e.node: len(e.gpus) for e in samples}
    assert gpus_of == {"node-a": 1, "node-b": 1, live_node: 2} | {
        n: 1 for n in cluster.nodes if n not in ("node-a", "node-b", live_node)
    }
    assert {e.label(i.index) for e in samples if e.node == live_node for i in e.gpus} == {
        f"{live_node}:0",
        f"{live_node}:1",
    }
    assert all(e.error is None for e in samples)
    assert len({e.node for e in samples if e.head}) == 1  # the head's own Ray node is said
    # Nodes without this run's jobs name none (their GPUs are idle).
    assert not [e for e in samples if e.node != live_node and any(p.job_id for p in e.processes)]
    # The samplers end with the run.
    _no_samplers_left()
    # The CLI's live view shows a line per node GPU with the job on it.
    lines = _node_lines(events, sample)
    assert [line.split()[0] for line in lines if line.startswith(live_node)] == [
        f"{live_node}:0",
        f"{live_node}:1",
    ]
    (on_gpu0,) = [line for line in lines if line.startswith(f"{live_node}:0")]
    assert "87%" in on_gpu0 and on_gpu0.endswith(job.job.job_id.split("/", 1)[1])  # the job, run id left off
    assert any(line.startswith("node-a:0") for line in lines)


async def test_the_tui_monitor_shows_the_nodes_of_a_run_it_started(
    cluster: ClusterLab, live_node: str
) -> None:
    """The TUI started the cluster run: its Monitor gets a panel per node GPU, the job on its node's GPU,
    and loses them when the run ends (cancelled here: the job runs for a minute)."""
    from thtui.tui.app import ThtuiApp
    from thtui.tui.screens.monitor import MonitorScreen
    from thtui.tui.widgets.gpu_panel import GpuPanel

    app = ThtuiApp(cluster.head, cluster.catalog, gpu_backend_factory=FakeGpuBackend)
    spec = RunSpec(solutions=("standin_live3",), images=(cluster.image,), audios=(cluster.audio,),
                   cluster=cluster.address, score=False, grace_s=2.0)  # fmt: skip

    def panels() -> dict[str, GpuPanel]:
        return {str(p.border_title): p for p in app.screen.query(GpuPanel)}

    async def until(what: Callable[[], object], timeout: float, why: str) -> None:
        deadline = time.monotonic() + timeout
        while not what():
            assert time.monotonic() < deadline, why
            await pilot.pause(0.1)

    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("3")
        await until(lambda: isinstance(app.screen, MonitorScreen), 10, "the Monitor")
        key = app.start_run(spec)
        job = f"{live_node}:0"
        await until(lambda: job in panels() and str(panels()[job].border_subtitle) == "standin_live3", 90,
                    f"the job on {job}'s panel")  # fmt: skip
        assert {f"{live_node}:1", "GPU 0"} <= set(panels())  # the node's idle GPU; this machine's fake GPU
        assert any(t.startswith("node-a:0") for t in panels()) and any(
            t.startswith("node-b:0") for t in panels()
        )
        app.cancel_run(key)
        await until(lambda: not app.runs.active_runs, 90, "the run's end")
        await until(lambda: set(panels()) == {"GPU 0"}, 10, "the nodes' panels gone with the run")
    _no_samplers_left()


def test_a_node_that_dies_leaves_the_view(cluster: ClusterLab, live_node: str) -> None:
    cancel = threading.Event()
    worker, events, box = _start(cluster, "standin_live2", cancel)
    try:
        _wait_for(lambda: _attributed(events, live_node), 90, "the job never showed on its node's GPU")
        cluster.kill_node(live_node)  # the job's node dies; no other node has the solution
        lost = _wait_for(
            lambda: [e for e in list(events.events) if isinstance(e, NodeGpusLost)], 60, "no NodeGpusLost"
        )
    except BaseException:
        cancel.set()
        raise
    finally:
        worker.join(timeout=120)
    assert not worker.is_alive()
    assert [e.node for e in lost] == [live_node]
    after = events.events[events.events.index(lost[0]) :]
    assert not [e for e in after if isinstance(e, NodeGpus) and e.node == live_node]  # nothing frozen
    assert [e for e in after if isinstance(e, NodeGpus) and e.node == "node-a"]  # the others go on
    assert box["result"].status == "interrupted"  # nobody left to serve it: resumable
    _no_samplers_left()
    mine = [line for line in _node_lines(events) if line.startswith(live_node)]
    assert len(mine) == 1 and mine[0].startswith(f"{live_node} lost")  # its GPUs' lines are gone


def test_the_samplers_end_with_a_run_that_ends_on_its_own(cluster: ClusterLab) -> None:
    events = Collector()
    spec = RunSpec(solutions=("standin",), images=(cluster.image,), audios=(cluster.audio,),
                   cluster=cluster.address, score=False)  # fmt: skip
    monitor = Monitor(FakeGpuBackend(), rate_hz=4).start()
    store = Store(cluster.head.db_path)
    try:
        result = start_run(cluster.head, cluster.catalog, spec, events, None, monitor=monitor, store=store,
                           fingerprint=False)  # fmt: skip
    finally:
        monitor.close()
        store.close()
    assert result.status == "done"
    _no_samplers_left()
    # Their worker processes are gone too (Ray titles an actor's process `ray::NodeSampler...`).
    _wait_for(lambda: not _sampler_processes() or None, 15, "a sampler's process is still alive")


def _sampler_processes() -> list[int]:
    out = []
    for p in psutil.process_iter(["cmdline"]):
        if "NodeSampler" in " ".join(p.info["cmdline"] or []):
            out.append(p.pid)
    return out


def _node_lines(events: Collector, last: object = None) -> list[str]:
    """The CLI live view's node lines after these events (`last`: one more, as if it came last)."""
    from thtui.cli.run_views import LiveState

    state = LiveState()
    for e in [*events.events, *([last] if last is not None else [])]:
        state.on_event(e)
    text = _rendered(state)
    return [line.strip() for line in text.splitlines() if line.strip().startswith("node-")]


def _rendered(state) -> str:
    from rich.console import Console

    out = Console(width=160, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    out.print(state.render())
    return out.export_text()
