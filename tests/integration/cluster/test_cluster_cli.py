"""The CLI of a cluster: `thtui cluster status|join`, `thtui run --cluster`, and the single-box path that
never loads Ray."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from clusterlab import ClusterLab
from processes import alive
from stand_ins.installed import STANDIN, install_as_setup_leaves

from thtui.cli import main
from thtui.core.config import load_settings

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(180)]


@pytest.fixture
def head_env(cluster: ClusterLab, monkeypatch: pytest.MonkeyPatch) -> ClusterLab:
    for key, value in (("THTUI_HOME", cluster.head.data_root), ("THTUI_OUTPUTS", cluster.head.outputs_dir),
                       ("THTUI_SOLUTIONS", cluster.solutions_dir), ("THTUI_CONFIG", cluster.root / "none.yaml"),
                       ("THTUI_GPU_BACKEND", "fake")):  # fmt: skip
        monkeypatch.setenv(key, str(value))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    return cluster


def test_cluster_status_lists_nodes_gpus_and_ready_solutions(head_env: ClusterLab, capsys) -> None:
    assert main(["cluster", "status", "--cluster", head_env.address, "--json"]) == 0
    nodes = {n["name"]: n for n in json.loads(capsys.readouterr().out)["nodes"]}
    assert nodes["node-a"]["alive"] and nodes["node-a"]["gpus"] == 1
    assert {"standin", "standin_kids", "standin_crash"} <= set(nodes["node-a"]["solutions"])
    assert "ghost" not in nodes["node-a"]["solutions"] and "ghost" not in nodes["node-b"]["solutions"]
    assert main(["cluster", "status", "--cluster", head_env.address]) == 0
    table = capsys.readouterr().out
    assert "node-a" in table and "node-b" in table and "standin" in table


def test_rays_cluster_error_messages_go_to_a_file_not_over_the_live_view(
    head_env: ClusterLab, capsys
) -> None:
    # A dead node's message comes with its raylet's last log lines, printed on stdout by a thread of Ray's
    # driver (the error channel, pid "raylet") whatever log_to_driver says: ~90 lines over the live view.
    from ray._private import worker as ray_worker

    assert main(["cluster", "status", "--cluster", head_env.address, "--json"]) == 0
    capsys.readouterr()
    line = "(raylet) Raylet is terminated. [state-dump] NodeManager: test line"
    ray_worker.print_to_stdstream({"lines": [line], "pid": "raylet", "is_err": False}, ignore_prefix=False)
    out = capsys.readouterr()
    assert "state-dump" not in out.out and "state-dump" not in out.err
    log = ray_worker.print_to_stdstream.thtui_log
    assert line in log.read_text()
    from thtui.core.cluster.connect import ray_errors_log

    assert ray_errors_log() == log  # named in the run's line when a node's attempt is lost


def test_run_with_cluster_from_the_cli_stores_on_the_head(head_env: ClusterLab, capsys, monkeypatch) -> None:
    monkeypatch.setenv("RAY_ADDRESS", head_env.address)  # `--cluster` alone takes RAY_ADDRESS
    argv = ["run", "standin", "--image", str(head_env.image), "--audio", str(head_env.audio), "--cluster",
            "--json", "--no-score", "--repeat", "2"]  # fmt: skip
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "done"
    assert {j["metrics"]["extra"]["cluster_node"] for j in data["jobs"]} <= {"node-a", "node-b"}
    run_dir = Path(data["run_dir"])
    assert (
        run_dir.parent == head_env.head.outputs_dir and (run_dir / "standin" / "r1" / "result.mp4").is_file()
    )
    assert json.loads((run_dir / "run.json").read_text())["spec"]["cluster"] == head_env.address


def test_run_nobody_can_serve_is_refused_in_one_line(head_env: ClusterLab, capsys) -> None:
    argv = ["run", "ghost", "--image", str(head_env.image), "--audio", str(head_env.audio),
            "--cluster", head_env.address, "--no-score"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "no node of the cluster" in err and "ghost" in err and "Traceback" not in err
    assert "--pack" in _refused(head_env, "--pack") and "--gpus" in _refused(head_env, "--gpus", "0")


def _refused(lab: ClusterLab, *flags: str) -> str:
    argv = ["run", "standin", "--image", str(lab.image), "--audio", str(lab.audio), "--cluster", lab.address,
            *flags]  # fmt: skip
    proc = subprocess.run([sys.executable, "-m", "thtui", *argv], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    return proc.stderr


def test_join_advertises_the_solutions_ready_here(
    tmp_path: Path, monkeypatch, capsys, cluster: ClusterLab
) -> None:
    env = {"THTUI_HOME": str(tmp_path / "home"), "THTUI_OUTPUTS": str(tmp_path / "out"),
           "THTUI_SOLUTIONS": str(cluster.solutions_dir), "THTUI_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    settings = load_settings(cwd=tmp_path)
    install_as_setup_leaves(settings, cluster.catalog.get("standin"), STANDIN / "repo")
    argv = ["cluster", "join", "10.1.2.3:6379", "--name", "gpu-box-2", "--num-gpus", "2", "--dry-run"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "this node offers: standin; GPUs: 2" in out
    line = out.strip().splitlines()[-1]
    assert " start --address 10.1.2.3:6379 --resources " in line
    assert '{"thtui_sol_standin": 1.0}' in line and "--num-gpus 2 --node-name gpu-box-2" in line


def test_the_single_box_path_never_imports_ray(tmp_path: Path) -> None:
    """Every core module, the CLI's run command and a dry run of a single-box run: no `ray` in sys.modules."""
    code = (
        "import importlib, pkgutil, sys, thtui.core\n"
        "for m in pkgutil.walk_packages(thtui.core.__path__, 'thtui.core.'):\n"
        "    importlib.import_module(m.name)\n"
        "from thtui.cli import main\n"
        "rc = main(['run', 'static', '--image', sys.argv[1], '--audio', sys.argv[2], '--dry-run'])\n"
        "print(rc, sorted(n for n in sys.modules if n == 'ray' or n.startswith('ray.')))\n"
    )
    from media_factory import make_tone
    from PIL import Image

    image = tmp_path / "face.png"
    Image.new("RGB", (64, 64), (192, 128, 64)).save(image)
    audio = make_tone(tmp_path / "a.wav", 1.0)
    env = {"THTUI_HOME": str(tmp_path / "home"), "THTUI_OUTPUTS": str(tmp_path / "out"), "PATH": "/usr/bin:/bin",
           "THTUI_CONFIG": str(tmp_path / "none.yaml")}  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code, str(image), str(audio)], capture_output=True, text=True,
                          timeout=120, env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == "0 []"


def test_cluster_join_starts_a_node_that_runs_its_solutions(cluster: ClusterLab, tmp_path: Path) -> None:
    """`thtui cluster join ADDRESS --block` for real (a `ray start` of its own): the node shows up with
    what is ready in its home, gets that solution's jobs, and leaves with all its processes on SIGTERM."""
    import os
    import time

    import psutil
    import ray

    from thtui.core.jobs import RunSpec, start_run
    from thtui.core.store import Store

    env = {**os.environ, **cluster.env_of("joined-1")}
    install_as_setup_leaves(load_settings(environ=env, cwd=tmp_path), cluster.catalog.get("standin_joined"),
                            STANDIN / "repo")  # fmt: skip
    argv = [sys.executable, "-m", "thtui", "cluster", "join", cluster.address, "--name", "joined-1",
            "--num-gpus", "1", "--block"]  # fmt: skip
    join = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any(
            n.get("NodeName") == "joined-1" and n["Alive"] for n in ray.nodes()
        ):
            time.sleep(0.5)
        spawned = [p.pid for p in psutil.Process(join.pid).children(recursive=True)]
        spec = RunSpec(solutions=("standin_joined",), images=(cluster.image,), audios=(cluster.audio,),
                       cluster=cluster.address, score=False)  # fmt: skip
        store = Store(cluster.head.db_path)
        try:
            result = start_run(cluster.head, cluster.catalog, spec, store=store, fingerprint=False)
        finally:
            store.close()
        (job,) = result.jobs
        assert job.status == "ok" and job.metrics.extra["cluster_node"] == "joined-1"
    finally:
        join.terminate()  # as Ctrl-C or a service manager stops it
        join.wait(timeout=60)
    gone_by = time.monotonic() + 30
    while time.monotonic() < gone_by and alive(spawned):
        time.sleep(0.5)
    assert join.returncode == 0 and alive(spawned) == []  # raylet and workers of the node: gone


def test_cluster_setup_runs_the_setup_engine_on_each_node_with_progress(head_env: ClusterLab, capsys) -> None:
    """ghost's clone URL does not exist: each named node runs the real engine, says so step by step, and
    the command fails naming the step, per node."""
    assert main(["cluster", "setup", "ghost", "--cluster", head_env.address, "--nodes", "node-a,node-b"]) == 1
    out = capsys.readouterr().out
    for node in ("node-a", "node-b"):
        assert f"[{node}] ghost: [1/" in out and f"[{node}] ghost: clone FAILED" in out
        assert f"[{node}] FAILED: ghost:" in out
    assert main(["cluster", "setup", "ghost", "--cluster", head_env.address, "--nodes", "nope"]) == 2
    assert "no live node named nope" in capsys.readouterr().err


def test_an_unreachable_cluster_is_one_line_in_seconds(tmp_path: Path) -> None:
    import socket
    import time

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "thtui", "cluster", "status", "--cluster", f"127.0.0.1:{port}"],
                          capture_output=True, text=True, timeout=60, env={"THTUI_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert proc.returncode == 2 and time.monotonic() - t0 < 30
    assert (
        f"cannot reach the Ray cluster at 127.0.0.1:{port}" in proc.stderr and "Traceback" not in proc.stderr
    )
