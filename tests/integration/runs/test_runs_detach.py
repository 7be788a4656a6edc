"""A run that outlives its terminal: `thtui run --detach` returns at once with the run id, the run goes
on in a process of its own session, a second process follows it live (`thtui runs --follow`) and a third
cancels it (`thtui run --cancel`): every job process ends and the run is interrupted, resumable."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
from processes import alive
from ptyproc import PtyProcess
from runlab import Lab, marked

from thtui.core.config import repo_root
from thtui.core.store import Store

ENV = {"STANDIN_MODE": "children", "STANDIN_DELAY": "60", "THTUI_GPU_BACKEND": "fake"}


def thtui(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "thtui", *argv], cwd=repo_root(), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, env={**os.environ, **ENV})  # fmt: skip


@pytest.mark.slow
def test_detach_follow_and_cancel_from_other_processes(lab: Lab) -> None:
    started = thtui("run", "standin", "--image", str(lab.image), "--audio", str(lab.audio), "--detach")
    assert started.returncode == 0, started.stderr
    run_id = re.search(r"run (\S+) runs in the background \(pid (\d+)\)", started.stdout).group(1)
    assert (
        f"thtui runs --follow {run_id}" in started.stdout and f"thtui run --cancel {run_id}" in started.stdout
    )
    deadline = time.monotonic() + 60
    while len(lab.child_pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    store = Store(lab.settings.db_path)
    try:
        run = store.get_run(run_id)
        (job,) = store.list_jobs(run_id)
    finally:
        store.close()
    assert run.state == "running" and os.getsid(run.owner_pid) == run.owner_pid  # a session of its own
    pids = [job.pid, *lab.child_pids()]
    assert len(alive(pids)) == 3

    # Ctrl+C on a follower only stops following: the run goes on.
    attached = PtyProcess(["-m", "thtui", "run", "--attach", run_id])
    try:
        attached.wait_for(lambda: "standin: started workers" in attached.text, 30, "the job's log lines")
        attached.type(b"\x03")
        assert attached.wait(30) == 0
    finally:
        attached.close()
    assert f"stopped following; run {run_id} goes on" in attached.text and "Traceback" not in attached.text
    assert alive(pids) == pids and alive([run.owner_pid]) == [run.owner_pid]

    follower = subprocess.Popen([sys.executable, "-m", "thtui", "runs", "--follow", "latest"], cwd=repo_root(),
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    time.sleep(1.5)
    cancelled = thtui("run", "--cancel", run_id)
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"run {run_id} is interrupted" in cancelled.stdout
    followed, _ = follower.communicate(timeout=30)
    assert follower.returncode == 0
    assert f"{job.id}: running" in followed and "standin: started workers" in followed, followed
    assert f"run {run_id} is interrupted" in followed and f"thtui run --resume {run_id}" in followed
    assert alive(pids) == [] and marked(run_id) == []
    assert alive([run.owner_pid]) == []


def test_cancel_of_a_run_not_running_is_one_line(lab: Lab) -> None:
    done = thtui("run", "static", "--image", str(lab.image), "--audio", str(lab.audio), "--json")
    assert done.returncode == 0, done.stderr
    refused = thtui("run", "--cancel", "latest")
    assert refused.returncode == 2 and "is not running (done); nothing to cancel" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_a_detached_run_with_bad_input_is_refused_at_the_terminal(lab: Lab) -> None:
    refused = thtui("run", "nosuch", "--image", str(lab.image), "--audio", str(lab.audio), "--detach")
    assert refused.returncode == 2 and "unknown solution 'nosuch'" in refused.stderr, refused.stderr
    assert not list(lab.settings.outputs_dir.glob("2*"))
