"""ProcessTree: exact exit and rusage, members found through tree, session and marker, clean termination."""

from __future__ import annotations

import contextlib
import os
import sys
import time

import psutil

from thtui.core.jobs.proctree import ProcessTree, find_marked, kill_marked

PY = sys.executable


def spawn(code: str, marker: str | None = None) -> ProcessTree:
    return ProcessTree.spawn([PY, "-c", code], cwd=os.getcwd(), env=dict(os.environ), marker=marker)


def test_exit_code_wall_and_rusage() -> None:
    t = spawn("import sys, time; b = bytearray(60 * 2**20); time.sleep(0.2); sys.exit(3)")
    info = t.wait(10)
    assert info.returncode == 3 and info.max_rss_bytes > 60 * 2**20 and info.cpu_time_s > 0
    assert 0.2 <= t.exited_at - t.started_at < 3
    assert t.popen.returncode == 3 and t.members() == []
    for s in (t.popen.stdout, t.popen.stderr):
        s.close()


def test_members_include_children_and_terminate_ends_all(tmp_path) -> None:
    code = (
        "import subprocess, sys, time\n"
        f"c = subprocess.Popen([{PY!r}, '-c', 'import time; time.sleep(60)'])\n"
        "print(c.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    t = spawn(code, marker="unit-test/tree")
    child = int(t.popen.stdout.readline())
    assert {t.pid, child} <= t.pids()
    deadline = time.monotonic() + 5  # /proc/<pid>/environ of a just-started process: allow a loaded machine
    while (
        not {p.pid for p in find_marked("unit-test/tree")} >= {t.pid, child} and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    assert {p.pid for p in find_marked("unit-test/tree")} >= {t.pid, child}
    started = time.monotonic()
    t.terminate(grace=2)
    assert time.monotonic() - started < 2  # SIGTERM was enough: no need to wait out the grace
    assert t.poll().returncode == -15
    assert not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE
    for s in (t.popen.stdout, t.popen.stderr):
        s.close()


def test_kill_marked_finds_processes_by_environment() -> None:
    env = {**os.environ, "THTUI_JOB_ID": "RUNX/sol/r1"}
    p = psutil.Popen([PY, "-c", "import time; time.sleep(60)"], env=env)
    try:
        time.sleep(0.1)
        assert kill_marked("RUNY/", prefix=True) == []
        assert kill_marked("RUNX/", prefix=True) == [p.pid]
        assert not p.is_running()
    finally:
        with contextlib.suppress(psutil.Error):
            p.kill()
