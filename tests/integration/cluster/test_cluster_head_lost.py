"""The head machine's Ray node dies mid-run (its GCS and raylet killed, as when that machine goes): the
`thtui run --cluster` there stops the run as interrupted within seconds and says how to resume it, with no
traceback (Ray alone would hang in its calls for a minute, then end the process with a line of its own),
and the job's processes on the other node end too (their setsid escapee included).

This test needs a cluster of its own (killing the shared one's head would end it for every other test):
a Ray head without GPUs and one node with the stand-in."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from clusterlab import FAST, STORE, ClusterLab, write_solutions
from processes import alive

from thtui.core.catalog import Catalog
from thtui.core.config import load_settings
from thtui.core.store import Store

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(180)]


def test_the_head_losing_the_cluster_leaves_the_run_resumable(cluster: ClusterLab, tmp_path: Path) -> None:
    from ray.cluster_utils import Cluster

    solutions = write_solutions(tmp_path / "solutions")
    env = {"THTUI_HOME": str(tmp_path / "head"), "THTUI_OUTPUTS": str(tmp_path / "outputs"),
           "THTUI_SOLUTIONS": str(solutions), "THTUI_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
    head = load_settings(environ={**os.environ, **env}, cwd=tmp_path)
    lab = ClusterLab(tmp_path, None, solutions, head, Catalog.load(solutions), tmp_path / "children.pids")
    lab.cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "num_gpus": 0, "node_name": "head",
                          "include_dashboard": False, "object_store_memory": STORE, "_system_config": FAST})  # fmt: skip
    try:
        lab.add_node("w", ("standin_kids",))
        argv = [sys.executable, "-m", "thtui", "run", "standin_kids", "--image", str(cluster.image), "--audio",
                str(cluster.audio), "--cluster", lab.address, "--no-score"]  # fmt: skip
        run = subprocess.Popen(argv, env={**os.environ, **env, "THTUI_GPU_BACKEND": "fake"}, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        pids = lambda: [int(x) for x in lab.pidfile.read_text().split()] if lab.pidfile.exists() else []  # noqa: E731
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and len(pids()) < 2 and run.poll() is None:
            time.sleep(0.2)
        assert len(pids()) >= 2, "the job's children never started on the node"
        lab.cluster.remove_node(lab.cluster.head_node, allow_graceful=False)  # the head machine's Ray dies
        killed = time.monotonic()
        out, err = run.communicate(timeout=45)
        took = time.monotonic() - killed
    finally:
        if "run" in locals() and run.poll() is None:
            run.kill()
        for node in list(lab.nodes):
            lab.kill_node(node)
        lab.cluster.shutdown()
    assert took < 30, f"the run took {took:.0f} s to stop (Ray's own timeout is 60 s)"
    assert run.returncode == 130, (out, err)  # interrupted
    assert "Traceback" not in err and "GCS" not in err, err
    run_id = out.split()[1].rstrip(":")  # "run <id>: 1 job -> …"
    assert "the head lost the Ray cluster" in out
    assert f"interrupted: continue with  thtui run --resume {run_id}" in out
    store = Store(head.db_path)
    try:
        assert store.get_run(run_id).status == "interrupted"
        assert [r.status for r in store.list_jobs(run_id)] in (["pending"], ["cancelled"])  # resume runs it
    finally:
        store.close()
    # No job process is left on the node: the node saw the GCS go too and stopped the job's tree.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and alive(pids()):
        time.sleep(0.3)
    assert alive(pids()) == []
