"""Reports use thtui.core.run_state: a run in progress says so (its running/pending jobs are not
failures); a run whose folder was deleted is refused and its folder is not re-created."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from thtui.cli import main
from thtui.core.store import JobRow, Store


def _make_run(settings, run_id: str = "20260101-000000-abcd"):
    run_dir = settings.outputs_dir / run_id
    jobs = [
        JobRow(f"{run_id}/{name}", i, name, 0, "face.png", "speech.wav", 1, False, str(run_dir / name))
        for i, name in enumerate(("static", "wav2lip"))
    ]
    store = Store(settings.db_path)
    run_dir.mkdir(parents=True)
    store.create_run(run_id, {"solutions": ["static", "wav2lip"]}, run_dir, jobs)
    store.job_started(jobs[0].id, pid=1, pid_create_time=None, gpu=None)  # one running, one pending
    return store, run_id, run_dir


def test_report_of_a_run_in_progress_says_so(settings, capsys):
    store, run_id, _ = _make_run(settings)
    store.close()
    assert main(["report", run_id]) == 0
    out = capsys.readouterr().out
    assert "still in progress" in out
    assert "❌" not in out  # was "❌ running / ❌ pending"
    assert "⏳ running" in out and "⏳ pending" in out
    assert main(["report", run_id, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["run"]["status"] == "running"


def test_report_of_a_killed_run_says_interrupted_and_how_to_resume(settings, capsys):
    store, run_id, _ = _make_run(settings)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    store._tx([("UPDATE runs SET owner_pid=? WHERE id=?", (dead.pid, run_id))])
    store.close()
    assert main(["report", run_id]) == 0
    out = capsys.readouterr().out
    assert "interrupted" in out and f"--resume {run_id}" in out
    assert "❌" not in out


def test_report_of_a_run_whose_folder_is_gone_is_refused_and_recreates_nothing(settings, capsys):
    store, run_id, run_dir = _make_run(settings)
    store.set_run_status(run_id, "done")
    store.close()
    shutil.rmtree(run_dir)
    assert main(["report", run_id, "--format", "html"]) == 2  # default dest: outputs/<run>/report.html
    err = capsys.readouterr().err
    assert "is gone" in err and "Traceback" not in err
    assert not run_dir.exists()  # was: re-created to hold report.html
