"""Monitor during a cluster run: a panel per GPU of each node (`node:index`, the job on it), beside this
machine's GPUs; the process table and the queue name node GPUs the same way; a node that dies keeps its
panels marked lost with no numbers; the run's end takes the nodes away. The run's events are fed as the
run worker posts them (no Ray: thtui.core.cluster.events are plain dataclasses)."""

from __future__ import annotations

import math

import pytest
import snapdata
from snapdata import RUN_ID, T0, GiB
from test_snapshots import SIZES, make_app, settle  # noqa: F401  (make_app is a fixture)
from textual.widgets import DataTable
from tuilab import screen_text, wait_for

from thtui.core.cluster.events import JobPlaced, NodeGpuProcess, NodeGpus, NodeGpusLost
from thtui.core.jobs.events import JobInfo, JobProgress, JobQueued, JobStarted, RunStarted
from thtui.core.monitor import GpuReading
from thtui.tui.messages import RunDone, RunEvent
from thtui.tui.screens.monitor import MonitorScreen
from thtui.tui.widgets.gpu_panel import GpuPanel

KEY = "run-1"
NODES = {"gpu-2": ("a" * 56, 2), "gpu-3": ("b" * 56, 1)}  # name -> (Ray node id, GPUs)
SAD1, SAD2, WAV = f"{RUN_ID}/sadtalker/r1", f"{RUN_ID}/sadtalker/r2", f"{RUN_ID}/wav2lip/r1"


def node_samples(name: str, count: int = 60) -> list[NodeGpus]:
    """`count` readings of a node: its GPU 0 busy with a job of the run, any other idle."""
    node_id, n_gpus = NODES[name]
    job = SAD1 if name == "gpu-2" else SAD2
    out = []
    for i in range(count):
        phase = i / 6 + (1.5 if name == "gpu-3" else 0.0)
        gpus = tuple(
            GpuReading(g, "NVIDIA L40S", round(60 + 35 * math.sin(phase)) if g == 0 else 0.0,
                       int((9 + 3 * math.sin(phase / 2)) * GiB) if g == 0 else int(0.5 * GiB), 48 * GiB,
                       70.0 if g == 0 else 33.0, 280.0 if g == 0 else 40.0, None)
            for g in range(n_gpus)
        )  # fmt: skip
        procs = (NodeGpuProcess(7301 if name == "gpu-2" else 9120, 0, int(8.5 * GiB), job),)
        out.append(NodeGpus(name, node_id, gpus, procs, None, False, at=T0 + i))
    return out


def feed_cluster_run(app) -> None:
    """A cluster run: two sadtalker jobs running on two nodes, a wav2lip job waiting for a GPU."""
    app.runs.new_run(KEY)
    app._run_counter = 1
    jobs = [JobInfo(job_id, job_id.split("/")[1], 0, "portrait.jpg", "speech.wav", r, False, f"/out/{job_id}")
            for job_id, r in ((SAD1, 1), (SAD2, 2), (WAV, 1))]  # fmt: skip
    events = [RunStarted(RUN_ID, f"/out/{RUN_ID}", tuple(jobs), at=T0)]
    events += [JobQueued(j, at=T0) for j in jobs]
    events += [
        JobPlaced(SAD1, "gpu-2", 0, at=T0 + 1),
        JobStarted(SAD1, 7301, 0, ("python",), "/", "/log", at=T0 + 1),
        JobPlaced(SAD2, "gpu-3", 0, at=T0 + 2),
        JobStarted(SAD2, 9120, 0, ("python",), "/", "/log", at=T0 + 2),
        JobProgress(SAD1, 0.42, "42%", at=T0 + 30),
    ]
    for name in NODES:
        events += node_samples(name)
    for e in events:
        app.post_message(RunEvent(KEY, e))
    for job, node in ((SAD1, "gpu-2"), (SAD2, "gpu-3")):  # as the nodes sent them (JobLog events)
        lines = [f"[thtui] {job}: node {node}, GPU 0", "using safetensor as default", "Face Renderer:  42%"]
        app.logs.buffer(f"job:{job}").extend(lines)


def panel_titles(app) -> list[str]:
    return [str(p.border_title) for p in app.screen.query(GpuPanel)]


async def open_monitor(pilot) -> None:
    app = pilot.app
    snapdata.feed_monitor(app, n_gpus=1, with_jobs=False)  # this machine: one idle GPU
    feed_cluster_run(app)
    await pilot.press("3")
    await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), 5)
    await wait_for(pilot, lambda: len(app.screen.query(GpuPanel)) == 4, 10, "the nodes' panels")
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_node_gpus_get_panels_processes_and_queue_cells(make_app, size) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await open_monitor(pilot)
        assert panel_titles(app) == ["GPU 0", "gpu-2:0", "gpu-2:1", "gpu-3:0"]  # local first, then nodes
        panels = {str(p.border_title): p for p in app.screen.query(GpuPanel)}
        assert str(panels["gpu-2:0"].border_subtitle) == "sadtalker/r1"  # the job the node found there
        assert str(panels["gpu-3:0"].border_subtitle) == "sadtalker/r2"
        assert str(panels["gpu-2:1"].border_subtitle) == ""  # idle
        last = node_samples("gpu-2")[-1].gpus[0]
        assert app.node_gpus.nodes[NODES["gpu-2"][0]].series[0].util[-1] == last.util_pct
        procs = app.screen.query_one("#procs", DataTable)
        rows = [[str(c) for c in procs.get_row_at(i)] for i in range(procs.row_count)]
        assert ["7301", "gpu-2:0", "8.5G", "sadtalker/r1"] in rows
        assert ["9120", "gpu-3:0", "8.5G", "sadtalker/r2"] in rows
        queue = app.screen.query_one("#queue", DataTable)
        assert str(queue.get_cell(SAD1, "gpu")) == "gpu-2:0" and str(queue.get_cell(WAV, "gpu")) == "—"
        text = screen_text(app)
        assert "gpu-2:0" in text and "L40S" in text
        assert max(len(line) for line in text.splitlines()) <= size[0]
        # No table scrolls sideways for the wider gpu column.
        for table in (queue, procs):
            assert table.virtual_size.width <= table.scrollable_content_region.width + 1, table.id


async def test_a_lost_node_shows_no_numbers_and_the_run_end_removes_nodes(make_app) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_monitor(pilot)
        gpu3 = NODES["gpu-3"][0]
        app.post_message(RunEvent(KEY, NodeGpusLost("gpu-3", gpu3, "left the cluster", at=T0 + 70)))
        panel = app.screen.query_one(f"#node-gpu-{gpu3}-0", GpuPanel)
        await wait_for(pilot, lambda: panel.has_class("-lost"), 5, "the lost mark")
        await settle(pilot)
        text = " ".join(str(w.render()) for w in panel.query("Static"))
        assert "no readings: left the cluster" in text
        assert "L40S" not in text and "%" not in text.replace("—", "")  # no last numbers
        assert str(panel.border_subtitle) == ""
        procs = app.screen.query_one("#procs", DataTable)
        rows = [[str(c) for c in procs.get_row_at(i)] for i in range(procs.row_count)]
        assert not [r for r in rows if r[1].startswith("gpu-3")] and [r for r in rows if r[1] == "gpu-2:0"]
        # A sample of another node keeps coming; the lost one stays lost.
        app.post_message(RunEvent(KEY, node_samples("gpu-2", 61)[-1]))
        await settle(pilot)
        assert panel.has_class("-lost")
        app.post_message(RunDone(KEY))
        await wait_for(pilot, lambda: panel_titles(app) == ["GPU 0"], 5, "the nodes' panels gone")
        assert not app.node_gpus.nodes


@pytest.mark.parametrize("size", SIZES)
def test_monitor_with_two_nodes(snap_compare, make_app, size: str) -> None:  # noqa: F811
    async def before(pilot) -> None:
        await open_monitor(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=before)


def test_monitor_with_a_lost_node(snap_compare, make_app) -> None:  # noqa: F811
    async def before(pilot) -> None:
        await open_monitor(pilot)
        lost = NodeGpusLost("gpu-3", NODES["gpu-3"][0], "left the cluster", at=T0 + 70)
        pilot.app.post_message(RunEvent(KEY, lost))
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES["160x48"], run_before=before)
