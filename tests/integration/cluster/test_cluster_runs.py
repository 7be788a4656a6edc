"""A run over a real local Ray cluster (several nodes on this machine, fake GPUs, different installs per
node): spread and stored once on the head, refused when no node can serve it, a node killed under its job,
cancel ending every node's process trees."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psutil
import pytest
from clusterlab import ClusterLab
from processes import alive

from thtui.core.events import Collector
from thtui.core.jobs import JobLog, JobStarted, RunError, RunSpec, RunStage, start_run
from thtui.core.jobs.proctree import find_marked
from thtui.core.monitor import FakeGpuBackend, Monitor
from thtui.core.store import Store

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(240)]


def _spec(lab: ClusterLab, *solutions: str, **kw) -> RunSpec:
    return RunSpec(solutions=solutions, images=(lab.image,), audios=(lab.audio,), cluster=lab.address,
                   score=False, grace_s=2.0, **kw)  # fmt: skip


def _run(lab: ClusterLab, spec: RunSpec, cancel: threading.Event | None = None):
    events = Collector()
    monitor = Monitor(FakeGpuBackend(), rate_hz=4).start()
    store = Store(lab.head.db_path)
    try:
        result = start_run(lab.head, lab.catalog, spec, events, cancel, monitor=monitor, store=store,
                           fingerprint=False)  # fmt: skip
    finally:
        monitor.close()
        store.close()
    return result, events


def _results_lines(run_dir: str) -> list[dict]:
    return [json.loads(line) for line in (Path(run_dir) / "results.jsonl").read_text().splitlines() if line]


def test_a_run_is_spread_over_the_nodes_and_stored_once_on_the_head(cluster: ClusterLab) -> None:
    result, events = _run(cluster, _spec(cluster, "standin", repeat=4))

    assert result.status == "done", [
        (j.job.job_id, j.metrics and j.metrics.failure_message) for j in result.jobs
    ]
    nodes = {j.metrics.extra["cluster_node"] for j in result.jobs}
    assert nodes == {"node-a", "node-b"}  # the head itself has nothing installed: every job ran on a node
    for j in result.jobs:
        job_dir = Path(j.job.job_dir)
        assert job_dir.parent.parent.parent == cluster.head.outputs_dir  # the head's outputs, not a node's
        assert j.result_path == str(job_dir / "result.mp4") and (job_dir / "result.mp4").stat().st_size > 1000
        log = (job_dir / "log.txt").read_text()
        assert "100%|##########| 5/5" in log and "exit status 0" in log  # the node's runner wrote it
        metrics = json.loads((job_dir / "metrics.json").read_text())
        assert metrics["extra"]["cluster_node"] in nodes and metrics["gpu_index"] == 0
        assert metrics["wall_s"] >= 0.3 and metrics["n_samples"] >= 1  # measured on the node
        assert (job_dir / "samples.csv").read_text().startswith("t,")
    # Stored once, on the head: one row per job in SQLite, one line per job in results.jsonl.
    store = Store(cluster.head.db_path)
    try:
        rows = store.list_jobs(result.run_id)
    finally:
        store.close()
    assert sorted(r.status for r in rows) == ["ok"] * 4
    lines = _results_lines(result.run_dir)
    assert sorted(rec["job_id"] for rec in lines) == sorted(j.job.job_id for j in result.jobs)
    # Nothing of the run is left on the nodes (their scratch dirs are removed once the files came back).
    for node in cluster.nodes.values():
        assert (
            not list((node.home / "state" / "cluster-jobs").glob("*"))
            if (node.home / "state").exists()
            else True
        )
    # Live: the nodes' log lines and starts reached the head's sink while the jobs ran.
    assert {e.job_id for e in events.of(JobStarted)} == {j.job.job_id for j in result.jobs}
    assert any("100%|" in e.line for e in events.of(JobLog))
    assert any(e.stage == "cluster" and "node-" in e.detail for e in events.of(RunStage))
    # The CLI's live table names each job's node beside its GPU.
    from thtui.cli.run_views import LiveState

    state = LiveState()
    for e in events.events:
        state.on_event(e)
    assert {v.node for v in state.jobs.values()} == {"node-a", "node-b"}


def test_a_solution_no_node_has_is_refused_before_anything_runs(cluster: ClusterLab) -> None:
    before = set(cluster.head.outputs_dir.glob("*")) if cluster.head.outputs_dir.exists() else set()
    with pytest.raises(RunError) as err:
        _run(cluster, _spec(cluster, "standin", "ghost"))
    message = str(err.value)
    assert "ghost" in message and "no node of the cluster" in message and "standin ready" not in message
    assert "thtui cluster setup ghost" in message
    after = set(cluster.head.outputs_dir.glob("*")) if cluster.head.outputs_dir.exists() else set()
    assert after == before  # no run folder: nothing started


def test_cancel_ends_the_process_trees_on_every_node(cluster: ClusterLab) -> None:
    cluster.pidfile.unlink(missing_ok=True)
    cancel = threading.Event()
    box: dict = {}
    spec = _spec(cluster, "standin_kids", repeat=2)  # children that never end, one escaping by setsid()
    worker = _in_thread(cluster, spec, box, cancel)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(_pids(cluster)) < 4:  # 2 jobs x (child + escapee)
        time.sleep(0.2)
    assert len(_pids(cluster)) >= 4, "the jobs' children never started on the nodes"

    # While they run, the head's log.txt of each job follows the node's output (runs --follow, the TUI).
    def live_logs() -> list[str]:
        return [p.read_text() for p in cluster.head.outputs_dir.glob("2*/standin_kids/r*/log.txt")]

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and sum("standin: started workers" in t for t in live_logs()) < 2:
        time.sleep(0.2)
    assert sum("standin: started workers" in t for t in live_logs()) == 2
    cancel.set()
    worker.join(timeout=120)
    assert not worker.is_alive()
    result = box["result"]
    assert result.status == "interrupted"
    assert {j.status for j in result.jobs} == {"cancelled"}
    assert {j.metrics.extra["cluster_node"] for j in result.jobs} == {"node-a", "node-b"}
    assert all(j.metrics.extra["cancelled_by"] == "run" for j in result.jobs)  # resume runs them again
    assert alive(_pids(cluster)) == []  # children and the setsid escapee: gone on every node
    assert find_marked(f"{result.run_id}/", prefix=True) == []
    assert _attempt_processes() == []


def test_a_job_that_fails_on_its_own_is_not_retried(cluster: ClusterLab) -> None:
    result, _ = _run(cluster, _spec(cluster, "standin_crash"))
    (job,) = result.jobs
    assert job.status == "failed" and job.metrics.exit_code == 1
    assert job.metrics.failure_class == "crash"  # the node's runner classified it, as on one box
    assert job.metrics.extra["cluster_attempt"] == 1 and "cluster_lost_attempts" not in job.metrics.extra
    assert "standin exploded" in (Path(job.job.job_dir) / "log.txt").read_text()


def test_an_interrupted_cluster_run_resumes_on_the_cluster(cluster: ClusterLab) -> None:
    from thtui.core.jobs import resume_run

    # Stopped before its jobs were placed (mid-job stops are the cancel test's: their jobs come back
    # "cancelled by the run", which resume runs again). The stand-in, like SadTalker, leaves a stale temp
    # file in its clone when killed, so a mid-job stop here would fail the rerun for the stand-in's sake.
    cancel = threading.Event()
    cancel.set()
    events = Collector()
    monitor = Monitor(FakeGpuBackend(), rate_hz=4).start()
    store = Store(cluster.head.db_path)
    try:
        spec = _spec(cluster, "standin", repeat=2)
        first = start_run(cluster.head, cluster.catalog, spec, events, cancel, monitor=monitor, store=store,
                          fingerprint=False)  # fmt: skip
        assert first.status == "interrupted"
        run_json = json.loads((Path(first.run_dir) / "run.json").read_text())
        assert run_json["spec"]["cluster"] == cluster.address  # resume finds the cluster again
        again = resume_run(cluster.head, cluster.catalog, first.run_id, events, monitor=monitor, store=store)
        rows = store.list_jobs(first.run_id)
    finally:
        monitor.close()
        store.close()
    assert again.status == "done", [
        (j.job.job_id, j.status, j.metrics and j.metrics.failure_message) for j in again.jobs
    ]
    assert sorted(r.status for r in rows) == ["ok", "ok"]  # one row per job, whatever ran before
    assert {j.metrics.extra["cluster_node"] for j in again.jobs} <= {"node-a", "node-b"}


def test_a_head_killed_mid_run_leaves_no_job_process_on_the_nodes(cluster: ClusterLab) -> None:
    """The thtui that runs the run is SIGKILLed (its machine died): Ray ends the tasks it owned, and each
    job's watchdog ends the job's whole tree (the setsid escapee too); the run stays resumable."""
    import os
    import signal
    import subprocess
    import sys

    cluster.pidfile.unlink(missing_ok=True)
    env = {**os.environ, "THTUI_HOME": str(cluster.head.data_root), "THTUI_OUTPUTS": str(cluster.head.outputs_dir),
           "THTUI_SOLUTIONS": str(cluster.solutions_dir), "THTUI_CONFIG": str(cluster.root / "none.yaml"),
           "THTUI_GPU_BACKEND": "fake"}  # fmt: skip
    argv = [sys.executable, "-m", "thtui", "run", "standin_kids2", "--image", str(cluster.image), "--audio",
            str(cluster.audio), "--cluster", cluster.address, "--no-score", "--json"]  # fmt: skip
    head = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(_pids(cluster)) < 2:  # child + setsid escapee
            time.sleep(0.2)
        assert len(_pids(cluster)) >= 2, "the job's children never started on a node"
    finally:
        os.kill(head.pid, signal.SIGKILL)
        head.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (_attempt_processes() or alive(_pids(cluster))):
        time.sleep(0.3)
    assert _attempt_processes() == [] and alive(_pids(cluster)) == []
    run_json = max(cluster.head.outputs_dir.glob("2*/run.json"), key=lambda p: p.stat().st_mtime)
    data = json.loads(run_json.read_text())
    assert data["spec"]["cluster"] == cluster.address and data["spec"]["solutions"] == ["standin_kids2"]


def test_a_node_killed_mid_job_and_the_job_finished_on_another(cluster: ClusterLab) -> None:
    # Two nodes of their own (the others stay for the tests above): only they have standin_slow.
    cluster.add_node("node-k1", ("standin_slow",))
    cluster.add_node("node-k2", ("standin_slow",))
    box: dict = {}
    worker = _in_thread(cluster, _spec(cluster, "standin_slow"), box)
    placed = _wait_placed()
    doomed = placed["node"]
    assert doomed in ("node-k1", "node-k2")
    time.sleep(1.0)  # the job's process is running on the node now
    cluster.kill_node(doomed)
    worker.join(timeout=150)
    assert not worker.is_alive()
    result = box["result"]
    (job,) = result.jobs
    assert job.status == "ok", job.metrics and job.metrics.failure_message
    extra = job.metrics.extra
    survivor = ({"node-k1", "node-k2"} - {doomed}).pop()
    assert extra["cluster_node"] == survivor and extra["cluster_attempt"] == 2
    (lost,) = extra["cluster_lost_attempts"]
    assert lost["node"] == doomed and lost["attempt"] == 1
    assert f"attempt 1 on node {doomed} was lost" in (Path(job.job.job_dir) / "log.txt").read_text()
    # Stored once: one row, one results.jsonl line.
    store = Store(cluster.head.db_path)
    try:
        assert [r.status for r in store.list_jobs(result.run_id)] == ["ok"]
    finally:
        store.close()
    assert len(_results_lines(result.run_dir)) == 1
    # The dead node's job process did not outlive it (its watchdog ended the tree).
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _attempt_processes():
        time.sleep(0.2)
    assert _attempt_processes() == []


# ---- helpers ----------------------------------------------------------------------------------------------
def _in_thread(
    lab: ClusterLab, spec: RunSpec, box: dict, cancel: threading.Event | None = None
) -> threading.Thread:
    def work() -> None:
        box["result"], box["events"] = _run(lab, spec, cancel)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    return worker


def _pids(lab: ClusterLab) -> list[int]:
    return [int(x) for x in lab.pidfile.read_text().split()] if lab.pidfile.exists() else []


def _attempt_processes() -> list[int]:
    from thtui.core.cluster.watchdog import ATTEMPT_ENV

    out = []
    for p in psutil.process_iter():
        try:
            if ATTEMPT_ENV in p.environ() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p.pid)
        except psutil.Error:
            continue
    return out


def _wait_placed(timeout: float = 90) -> dict:
    """The node a running job went to: found by the job's process environment (THTUI_NODE_NAME)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid in _attempt_processes():
            try:
                env = psutil.Process(pid).environ()
            except psutil.Error:
                continue
            if env.get("STANDIN_DELAY") == "3":
                return {"node": env.get("THTUI_NODE_NAME"), "pid": pid}
        time.sleep(0.2)
    raise AssertionError("the job never started on a node")
