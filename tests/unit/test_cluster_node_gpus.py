"""The node side of the live GPU view, without Ray: a sampler reads the node's (fake) GPUs and names the
job of its run behind each GPU process from the process's attempt mark; other processes stay unnamed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from thtui.core.cluster.node_gpus import FAKE_GPU_DIR_ENV, NodeSampler
from thtui.core.cluster.watchdog import ATTEMPT_ENV
from thtui.core.monitor import MiB
from thtui.core.monitor.backends import BACKEND_ENV

RUN = "20260101-120000-abcd"


def _sleeper(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], env={**os.environ, **env})


def test_a_sampler_names_its_runs_job_on_each_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BACKEND_ENV, "fake")
    monkeypatch.setenv(FAKE_GPU_DIR_ENV, str(tmp_path))
    monkeypatch.setenv("THTUI_NODE_NAME", "gpu-7")
    ours = _sleeper({ATTEMPT_ENV: f"{RUN}/sadtalker/r2#1#0a1b2c3d"})
    other_run = _sleeper({ATTEMPT_ENV: "20250101-000000-ffff/wav2lip#1#0a1b2c3d"})
    stranger = _sleeper({})
    try:
        for proc, gpu, mb in ((ours, 1, 900), (other_run, 0, 300), (stranger, 0, 100)):
            (tmp_path / f"{proc.pid}.json").write_text(f'{{"bytes": {mb * MiB}, "gpu": {gpu}, "util": 50}}')
        sampler = NodeSampler(RUN, "node-id-7", gpu_count=2)
        sample = sampler.sample()
        again = sampler.sample()  # the marks are read once per process, then remembered
    finally:
        for proc in (ours, other_run, stranger):
            proc.kill()
            proc.wait()
    assert sample.node == "gpu-7" and [g.index for g in sample.gpus] == [0, 1] and sample.error is None
    assert [sample.label(g.index) for g in sample.gpus] == ["gpu-7:0", "gpu-7:1"]
    jobs = {p.pid: p.job_id for p in sample.processes}
    assert jobs == {ours.pid: f"{RUN}/sadtalker/r2", other_run.pid: None, stranger.pid: None}
    assert sample.jobs_on(1) == (f"{RUN}/sadtalker/r2",) and sample.jobs_on(0) == ()
    assert sample.gpus[1].mem_used >= 900 * MiB
    assert again.processes == sample.processes


def test_a_sampler_that_stops_answering_leaves_the_view_instead_of_freezing(monkeypatch) -> None:
    # A partitioned node or a hung NVML call: its request never comes back. Its last numbers stayed on
    # screen as if live (it was never asked again, and never said lost).
    from types import SimpleNamespace

    from thtui.core.cluster import node_gpus
    from thtui.core.cluster.events import NodeGpusLost

    never = object()
    ray = SimpleNamespace(
        get_runtime_context=lambda: SimpleNamespace(get_node_id=lambda: "head"),
        wait=lambda refs, num_returns, timeout: ([], refs),  # nothing ever answers
        kill=lambda actor: None,
    )
    events: list = []
    watch = node_gpus.NodeGpuWatch(ray, "run1", events.append, period=0.01)
    watch._next_refresh = float("inf")  # no node-table refresh: the one node below is all there is
    watch._actors["n2"] = ("gpu-2", SimpleNamespace(sample=SimpleNamespace(remote=lambda: never)))
    monkeypatch.setattr(node_gpus, "STALE_AFTER_S", 0.2)
    watch.poll()
    assert events == [] and "n2" in watch._pending
    time.sleep(0.25)
    watch.poll()
    (lost,) = events
    assert isinstance(lost, NodeGpusLost) and lost.node == "gpu-2" and "no reading for" in lost.reason
    assert "n2" not in watch._actors


def test_in_another_pid_namespace_no_job_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Ray in a container: NVML's pids are the host's, so a pid here may be another process. The local
    # monitor's check (no listed pid exists here) is applied; this stands in for the namespace.
    from thtui.core.monitor import sampler as local

    monkeypatch.setenv(BACKEND_ENV, "fake")
    monkeypatch.setenv(FAKE_GPU_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(local, "_pids_visible", lambda procs: False)
    ours = _sleeper({ATTEMPT_ENV: f"{RUN}/sadtalker/r2#1#0a1b2c3d"})
    try:
        (tmp_path / f"{ours.pid}.json").write_text(f'{{"bytes": {900 * MiB}, "gpu": 0, "util": 50}}')
        sample = NodeSampler(RUN, "node-id-7", gpu_count=1).sample()
    finally:
        ours.kill()
        ours.wait()
    assert [(p.pid, p.job_id) for p in sample.processes] == [(ours.pid, None)]
