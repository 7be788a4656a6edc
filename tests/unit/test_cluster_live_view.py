"""The CLI live view of a cluster run without Ray: a line per node GPU (node:index, util, VRAM, the job on
it), a lost node as one line with no numbers, and nothing of the samples in non-terminal output."""

from __future__ import annotations

import io

from rich.console import Console

from thtui.cli.run_views import LiveState, node_lines, print_line
from thtui.core.cluster.events import JobPlaced, NodeGpuProcess, NodeGpus, NodeGpusLost
from thtui.core.jobs.events import JobInfo, JobStarted, RunStarted
from thtui.core.monitor import GpuReading

GiB = 1024**3
RUN = "20260101-120000-abcd"


def _reading(index: int, util: float, used_gib: float) -> GpuReading:
    return GpuReading(index, "L40S", util, int(used_gib * GiB), 48 * GiB, 60.0, 200.0, None)


def _state() -> LiveState:
    jobs = tuple(
        JobInfo(f"{RUN}/sadtalker/r{r}", "sadtalker", 0, "a.png", "a.wav", r, False, "/x") for r in (1, 2)
    )
    state = LiveState()
    for e in (
        RunStarted(RUN, "/out", jobs),
        JobPlaced(jobs[0].job_id, "gpu-2", 1),
        JobStarted(jobs[0].job_id, 11, 1, ("python",), "/", "/log"),
        JobPlaced(jobs[1].job_id, "gpu-3", 0),
        JobStarted(jobs[1].job_id, 12, 0, ("python",), "/", "/log"),
        NodeGpus("gpu-2", "n2", (_reading(0, 0, 0.5), _reading(1, 91, 9.5)), (), None, True),
        NodeGpus("gpu-3", "n3", (_reading(0, 77, 6.0),), (NodeGpuProcess(99, 0, 6 * GiB, jobs[1].job_id),)),
    ):
        state.on_event(e)
    return state


def test_a_line_per_node_gpu_with_the_job_on_it() -> None:
    state = _state()
    lines = [t.plain for t in node_lines(list(state.nodes.values()), state.jobs)]
    assert lines == [
        "gpu-2:0 (head)    0%     0.5/48 GiB",
        "gpu-2:1 (head)   91%     9.5/48 GiB  sadtalker/r1",  # placed there (the node lists no process)
        "gpu-3:0          77%     6.0/48 GiB  sadtalker/r2",  # the node found the job's process there
    ]
    out = Console(width=120, file=io.StringIO(), record=True)
    out.print(state.render())
    assert "gpu-3:0          77%" in out.export_text()


def test_a_lost_node_is_one_line_without_numbers() -> None:
    state = _state()
    state.on_event(NodeGpusLost("gpu-3", "n3", "left the cluster"))
    lines = [t.plain for t in node_lines(list(state.nodes.values()), state.jobs)]
    assert [line for line in lines if line.startswith("gpu-3")] == ["gpu-3 lost      (left the cluster)"]


def test_non_terminal_output_says_only_that_a_node_left() -> None:
    buf = io.StringIO()
    out = Console(file=buf, width=100)
    print_line(out, NodeGpus("gpu-2", "n2", (_reading(0, 5, 1.0),)))
    assert buf.getvalue() == ""  # samples are for the live view only
    print_line(out, NodeGpusLost("gpu-3", "n3", "left the cluster"))
    assert buf.getvalue() == "node gpu-3: its GPUs leave the view (left the cluster)\n"
