"""One function decides a run's state (thtui.core.run_state): running only while its owner lives."""

from __future__ import annotations

import shutil
import subprocess
import sys

import psutil

from thtui.core import run_state as rs
from thtui.core.jobs.records import RunFiles
from thtui.core.store import JobRow, Store


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _run(store: Store, tmp_path, run_id: str = "r1"):
    run_dir = tmp_path / "outputs" / run_id
    run_dir.mkdir(parents=True)
    job = JobRow(f"{run_id}/static", 0, "static", 0, "i.png", "a.wav", 1, False, str(run_dir / "static"))
    store.create_run(run_id, {"solutions": ["static"]}, run_dir, [job])
    return run_dir


def test_created_run_records_owner_and_is_running_while_owner_lives(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    _run(store, tmp_path)
    run = store.get_run("r1")
    assert run.owner_pid == psutil.Process().pid
    assert run.owner_host == rs.this_host()
    assert run.owner_started == psutil.Process().create_time()
    assert rs.run_state(run) == rs.RUNNING


def test_run_of_a_killed_owner_is_interrupted_not_running(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    _run(store, tmp_path)
    dead = _dead_pid()
    store._tx([("UPDATE runs SET owner_pid=? WHERE id='r1'", (dead,))])
    run = store.get_run("r1")
    assert rs.run_state(run) == rs.INTERRUPTED
    assert run.stale


def test_a_reused_pid_is_not_taken_for_the_owner(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    _run(store, tmp_path)
    # our own pid, but a create time an hour earlier: some other process that had this pid
    store._tx([("UPDATE runs SET owner_started=owner_started-3600 WHERE id='r1'", ())])
    assert rs.run_state(store.get_run("r1")) == rs.INTERRUPTED


def test_a_finished_run_whose_folder_was_deleted_is_missing(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    run_dir = _run(store, tmp_path)
    store.set_run_status("r1", "done")
    assert rs.run_state(store.get_run("r1")) == rs.DONE
    shutil.rmtree(run_dir)
    assert rs.run_state(store.get_run("r1")) == rs.MISSING
    assert not run_dir.exists()  # deciding the state never re-creates anything


def test_run_json_records_the_owner_and_state_of_files_uses_it(tmp_path):
    run_dir = tmp_path / "outputs" / "r2"
    files = RunFiles.create(run_dir, "r2", {"solutions": [], "repeat": 1, "warmup": False, "gpus": None,
                                            "timeout": None, "grace_s": 5, "pack": False}, {})  # fmt: skip
    assert files.data["owner"]["pid"] == psutil.Process().pid
    assert files.data["owner"]["host"] == rs.this_host()
    assert rs.state_of_files(run_dir, files.data) == rs.RUNNING
    files.data["owner"]["pid"] = _dead_pid()
    assert rs.state_of_files(run_dir, files.data) == rs.INTERRUPTED
    files.data["status"] = "refused"  # the TTS refused the text: never "running" forever
    assert rs.state_of_files(run_dir, files.data) == rs.FAILED


def test_a_run_owned_on_another_host_is_trusted_as_written():
    owner = rs.Owner(pid=_dead_pid(), started=1.0, host=rs.this_host() + "-elsewhere")
    assert rs.decide("running", None, owner) == rs.RUNNING


def test_tui_results_and_thtui_runs_show_the_decided_state(settings, capsys):
    """The TUI's Results showed a killed run as `running` while `thtui runs` said interrupted; a
    deleted folder was listed as done. Both now read thtui.core.run_state."""
    from thtui.cli import main
    from thtui.tui.results_data import ResultsReader

    store = Store(settings.db_path)
    killed = _run(store, settings.outputs_dir.parent, "killed")
    gone = _run(store, settings.outputs_dir.parent, "gone")
    store._tx([("UPDATE runs SET owner_pid=? WHERE id='killed'", (_dead_pid(),))])
    store.set_run_status("gone", "done")
    shutil.rmtree(gone)
    store.close()
    assert killed.is_dir()

    reader = ResultsReader(settings)
    try:
        shown = {r.id: r.status for r in reader.runs()}
    finally:
        reader.close()
    assert shown == {"killed": "interrupted", "gone": "missing"}

    assert main(["runs", "--json"]) == 0
    import json

    listed = {r["id"]: r["state"] for r in json.loads(capsys.readouterr().out)}
    assert listed == {"killed": "interrupted", "gone": "missing"}
    assert not gone.exists()
