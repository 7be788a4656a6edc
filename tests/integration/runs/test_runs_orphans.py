"""A run whose thtui was killed (SIGKILL: no handler runs) leaves its jobs running; the next `thtui run`
names them before it starts, and ends them with --kill-orphans, instead of sharing the GPU silently."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from processes import alive
from runlab import Lab, marked

from thtui.core.config import repo_root
from thtui.core.store import Store

ENV = {"STANDIN_MODE": "children", "STANDIN_DELAY": "60", "THTUI_GPU_BACKEND": "fake"}


def thtui(*argv: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "thtui", *argv], cwd=repo_root(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, **kw)  # fmt: skip


@pytest.mark.slow
def test_a_new_run_names_and_ends_the_orphans_of_a_killed_one(lab: Lab) -> None:
    killed = subprocess.Popen(
        [sys.executable, "-m", "thtui", "run", "standin", "--image", str(lab.image), "--audio", str(lab.audio),
         "--json"],
        cwd=repo_root(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, **ENV},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while len(lab.child_pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    killed.send_signal(signal.SIGKILL)
    killed.wait(10)
    (run_dir,) = lab.settings.outputs_dir.glob("2*")
    run_id = run_dir.name
    store = Store(lab.settings.db_path)
    try:
        (job,) = store.list_jobs(run_id)
    finally:
        store.close()
    orphans = alive([job.pid, *lab.child_pids()])
    assert len(orphans) == 3, "the job's root, its child and the escaped grandchild outlived thtui"

    warned = thtui("run", "static", "--image", str(lab.image), "--audio", str(lab.audio), "--json")
    assert warned.returncode == 0, warned.stderr
    assert f"run {run_id} was interrupted" in warned.stderr and str(job.pid) in warned.stderr, warned.stderr
    assert "--kill-orphans" in warned.stderr
    assert alive(orphans) == orphans  # without the flag (and no terminal to ask at) nothing is ended

    ended = thtui("run", "static", "--image", str(lab.image), "--audio", str(lab.audio), "--json",
                  "--kill-orphans")  # fmt: skip
    assert ended.returncode == 0, ended.stderr
    assert "ended 3 processes" in ended.stderr, ended.stderr
    assert alive(orphans) == [] and marked(run_id) == []

    again = thtui("run", "static", "--image", str(lab.image), "--audio", str(lab.audio), "--json")
    assert "was interrupted" not in again.stderr  # nothing left to report
