"""No orphan on any way out of `thtui run`: Ctrl+C typed in its terminal, SIGTERM, and a hang-up (a dropped
SSH connection) each end every process of the running job — the root, a child, and a grandchild that
double-forked and left the session — mark the run interrupted and say how to resume it."""

from __future__ import annotations

import json
import signal

import pytest
from processes import alive
from ptyproc import PtyProcess
from runlab import Lab, marked

from thtui.core.store import Store

CHILDREN = {"STANDIN_MODE": "children", "STANDIN_DELAY": "60", "THTUI_GPU_BACKEND": "fake"}


def start_cli_run(lab: Lab) -> PtyProcess:
    proc = PtyProcess(["run", "standin", "--image", str(lab.image), "--audio", str(lab.audio)], env=CHILDREN)
    # The job, a child and the escaped grandchild are all up (the stand-in writes their pids).
    proc.wait_for(lambda: len(lab.child_pids()) >= 2, 60, "the job and its children")
    return proc


def job_pids(lab: Lab) -> tuple[str, list[int]]:
    (run_dir,) = lab.settings.outputs_dir.glob("2*")
    store = Store(lab.settings.db_path)
    try:
        jobs = store.list_jobs(run_dir.name)
    finally:
        store.close()
    roots = [j.pid for j in jobs if j.pid is not None]
    assert roots, "the job's root pid is recorded"
    return run_dir.name, roots + lab.child_pids()


def assert_ended_and_resumable(lab: Lab, proc: PtyProcess, rc: int, pids: list[int], run_id: str) -> None:
    assert alive(pids) == [], f"left running: {alive(pids)}\n{proc.text[-2000:]}"
    assert marked(run_id) == []
    run_json = json.loads((lab.settings.outputs_dir / run_id / "run.json").read_text())
    assert run_json["status"] == "interrupted"
    store = Store(lab.settings.db_path)
    try:
        assert store.get_run(run_id).state == "interrupted"
    finally:
        store.close()
    assert rc != 0


@pytest.mark.slow
def test_ctrl_c_in_the_terminal_ends_the_job_tree(lab: Lab) -> None:
    proc = start_cli_run(lab)
    try:
        run_id, pids = job_pids(lab)
        proc.type(b"\x03")  # the terminal turns it into SIGINT for the whole foreground process group
        rc = proc.wait(60)
    finally:
        proc.close()
    assert "Traceback" not in proc.text and "KeyError" not in proc.text, proc.text[-3000:]
    assert_ended_and_resumable(lab, proc, rc, pids, run_id)
    assert rc == 130
    assert f"thtui run --resume {run_id}" in proc.text


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["sigterm", "sighup"])
def test_a_signal_to_thtui_ends_the_job_tree(lab: Lab, sig: int) -> None:
    proc = start_cli_run(lab)
    try:
        run_id, pids = job_pids(lab)
        proc.send(sig)
        rc = proc.wait(60)
    finally:
        proc.close()
    assert "Traceback" not in proc.text, proc.text[-3000:]
    assert_ended_and_resumable(lab, proc, rc, pids, run_id)
    assert rc == 128 + sig
    if sig == signal.SIGTERM:  # after a hang-up thtui writes nowhere: the terminal is taken to be gone
        assert f"thtui run --resume {run_id}" in proc.text


@pytest.mark.slow
def test_a_hang_up_ends_the_job_tree(lab: Lab) -> None:
    """The terminal itself goes away (ssh dropped, no tmux): SIGHUP, and every later write to it fails."""
    proc = start_cli_run(lab)
    try:
        run_id, pids = job_pids(lab)
        proc.hang_up()
        rc = proc.wait(60)
    finally:
        proc.close()
    assert_ended_and_resumable(lab, proc, rc, pids, run_id)
    assert rc == 128 + signal.SIGHUP
