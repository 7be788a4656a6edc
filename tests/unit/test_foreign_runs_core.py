"""thtui.core.jobs.foreign: which runs belong to another live thtui process (decided by run_state), their
jobs' log lines read as they grow, and cancelling one by a SIGTERM to its owner (what `thtui run --cancel`
and the TUI both call)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from thtui.core.jobs import foreign
from thtui.core.jobs.foreign import (
    LogTail,
    NotCancellable,
    foreign_runs,
    request_cancel,
    running_elsewhere,
    wait_owner_gone,
)
from thtui.core.run_state import Owner, current_owner, this_host
from thtui.core.store import JobRow, Store


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen]:
    """A process standing in for another thtui (dies on SIGTERM, as a run's owner ends on it)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc
    proc.kill()
    proc.wait()


def as_owner(proc: subprocess.Popen) -> Owner:
    return Owner(proc.pid, psutil.Process(proc.pid).create_time(), this_host())


def add_run(store: Store, run_id: str, owner: Owner, tmp: Path, monkeypatch, jobs: int = 2) -> list[str]:
    monkeypatch.setattr("thtui.core.store.current_owner", lambda: owner)
    rows = [JobRow(f"{run_id}/s{i}", i, f"s{i}", 0, "i.png", "a.wav", 1, False, str(tmp / run_id / f"s{i}"))
            for i in range(jobs)]  # fmt: skip
    store.create_run(run_id, {"solutions": ["s0"]}, tmp / run_id, rows)
    (tmp / run_id).mkdir(parents=True, exist_ok=True)
    monkeypatch.setattr("thtui.core.store.current_owner", current_owner)
    return [r.id for r in rows]


def test_only_runs_of_other_live_owners_are_foreign(tmp_path: Path, sleeper, monkeypatch) -> None:
    store = Store(tmp_path / "db.sqlite")
    theirs = add_run(store, "20260101-000000-aaaa", as_owner(sleeper), tmp_path, monkeypatch)
    add_run(store, "20260101-000001-bbbb", current_owner(), tmp_path, monkeypatch)  # this process's own
    dead = Owner(sleeper.pid, psutil.Process(sleeper.pid).create_time() - 5.0, this_host())  # a reused pid
    add_run(store, "20260101-000002-cccc", dead, tmp_path, monkeypatch)
    elsewhere = Owner(sleeper.pid, None, "another-host")
    add_run(store, "20260101-000003-dddd", elsewhere, tmp_path, monkeypatch)
    store.job_started(theirs[0], pid=sleeper.pid, pid_create_time=as_owner(sleeper).started, gpu=1)

    (run,) = foreign_runs(store)
    assert run.run_id == "20260101-000000-aaaa" and run.live and run.owner.pid == sleeper.pid
    assert [(j.job_id, j.status, j.gpu, j.pid) for j in run.jobs] == [
        (theirs[0], "running", 1, sleeper.pid),
        (theirs[1], "pending", None, None),
    ]
    assert run.jobs[0].log_path == tmp_path / "20260101-000000-aaaa" / "s0" / "log.txt"
    # A watcher's last look at a run that has just ended: named in `also`, it comes back whatever its state.
    both = foreign_runs(store, also={"20260101-000002-cccc"})
    assert [(r.run_id, r.state) for r in both] == [
        ("20260101-000000-aaaa", "running"),
        ("20260101-000002-cccc", "interrupted"),
    ]
    store.close()


def test_a_job_pid_taken_by_another_process_is_not_a_root(tmp_path: Path, sleeper, monkeypatch) -> None:
    store = Store(tmp_path / "db.sqlite")
    (job, _) = add_run(store, "20260101-000000-aaaa", as_owner(sleeper), tmp_path, monkeypatch)
    store.job_started(job, pid=sleeper.pid, pid_create_time=as_owner(sleeper).started - 3.0, gpu=0)
    (run,) = foreign_runs(store)
    assert run.jobs[0].status == "running" and run.jobs[0].pid is None
    store.close()


def test_log_tail_gives_whole_new_lines(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    tail = LogTail(log)
    assert tail.read() == []  # not written yet
    log.write_bytes(b"one\ntw")
    assert tail.read() == ["one"]
    with log.open("ab") as f:
        f.write(b"o\nthree\n")
    assert tail.read() == ["two", "three"]
    assert tail.read() == []
    log.unlink()  # a resumed job starts its log anew: read from its start
    log.write_bytes(b"again\n")
    assert tail.read() == ["again"]


def test_log_tail_met_late_starts_at_a_whole_line_near_the_end(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(foreign, "FIRST_READ_BYTES", 20)
    log = tmp_path / "log.txt"
    log.write_bytes(b"".join(b"line %02d\n" % i for i in range(10)))  # 8 bytes a line
    assert LogTail(log).read() == ["line 08", "line 09"]


def test_cancel_asks_the_owner_and_refuses_what_it_cannot(tmp_path: Path, sleeper, monkeypatch) -> None:
    store = Store(tmp_path / "db.sqlite")
    add_run(store, "20260101-000000-aaaa", as_owner(sleeper), tmp_path, monkeypatch)
    add_run(store, "20260101-000001-bbbb", current_owner(), tmp_path, monkeypatch)
    with pytest.raises(NotCancellable, match="no run 'nope'"):
        request_cancel(store, "nope")
    with pytest.raises(NotCancellable, match="run by this process"):
        request_cancel(store, "20260101-000001-bbbb")
    owner = request_cancel(store, "20260101-000000-aaaa")
    assert owner.pid == sleeper.pid
    assert wait_owner_gone(owner, 10) and sleeper.wait(5) == -15  # SIGTERM, as `thtui run --cancel` sends
    start = time.monotonic()
    with pytest.raises(NotCancellable, match=r"is not running \(interrupted\); nothing to cancel"):
        request_cancel(store, "20260101-000000-aaaa")
    assert time.monotonic() - start < 1
    store.close()


def test_running_elsewhere_names_only_a_live_other_owner(tmp_path: Path, sleeper, monkeypatch) -> None:
    store = Store(tmp_path / "db.sqlite")
    add_run(store, "20260101-000000-aaaa", as_owner(sleeper), tmp_path, monkeypatch)
    add_run(store, "20260101-000001-bbbb", current_owner(), tmp_path, monkeypatch)
    add_run(store, "20260101-000002-cccc", Owner(sleeper.pid, None, "another-host"), tmp_path, monkeypatch)
    assert running_elsewhere(store, "20260101-000000-aaaa") == as_owner(sleeper)
    assert running_elsewhere(store, "20260101-000001-bbbb") is None  # this process's own
    assert running_elsewhere(store, "20260101-000002-cccc").host == "another-host"  # cannot tell: refuse
    assert running_elsewhere(store, "nope") is None
    sleeper.kill()
    sleeper.wait()
    assert running_elsewhere(store, "20260101-000000-aaaa") is None  # its owner is gone: resumable
    store.close()


def test_cli_resume_refuses_a_run_another_thtui_runs(settings, sleeper, monkeypatch, capsys) -> None:
    from thtui.cli import main

    store = Store(settings.db_path)
    (job, _) = add_run(store, "20260101-000000-aaaa", as_owner(sleeper), settings.outputs_dir, monkeypatch)
    store.job_started(job, pid=sleeper.pid, pid_create_time=as_owner(sleeper).started, gpu=0)
    store.close()
    assert main(["run", "--resume", "20260101-000000-aaaa"]) == 2
    err = capsys.readouterr().err
    assert f"run 20260101-000000-aaaa is running in another thtui (pid {sleeper.pid})" in err
    assert "thtui run --cancel 20260101-000000-aaaa" in err and "Traceback" not in err
    assert sleeper.poll() is None  # its job was left alone


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["--data-root", "/d", "run", "standin", "--run-id", "x"], "run"),
        (["--outputs=/o", "runs", "--follow", "latest"], "runs"),
        (["--data-root", "/d"], ""),  # the TUI
        ([], ""),
    ],
)
def test_owner_command_tells_a_run_from_a_tui(tmp_path: Path, args: list[str], command: str) -> None:
    script = tmp_path / "thtui"  # what the console script's command line looks like
    script.write_text("import time\ntime.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, str(script), *args])
    try:
        deadline = time.monotonic() + 5
        while str(script) not in psutil.Process(proc.pid).cmdline() and time.monotonic() < deadline:
            time.sleep(0.01)  # until the child has exec'd
        assert foreign.owner_command(proc.pid) == command
    finally:
        proc.kill()
        proc.wait()
    assert foreign.owner_command(proc.pid) is None


def test_cli_cancel_of_a_tui_owned_run_says_the_tui_quits(
    settings, tmp_path: Path, monkeypatch, capsys
) -> None:
    from thtui.cli import main

    script = tmp_path / "thtui"  # a TUI's command line: `thtui` and no command
    script.write_text("import time\ntime.sleep(60)\n")
    tui = subprocess.Popen([sys.executable, str(script)])
    try:
        deadline = time.monotonic() + 5
        while str(script) not in psutil.Process(tui.pid).cmdline() and time.monotonic() < deadline:
            time.sleep(0.01)
        store = Store(settings.db_path)
        add_run(store, "20260101-000000-aaaa", as_owner(tui), settings.outputs_dir, monkeypatch)
        store.close()
        assert main(["run", "--cancel", "20260101-000000-aaaa"]) == 0
        out = capsys.readouterr().out
        assert f"note: pid {tui.pid} is a thtui TUI: it quits, ending all its runs and installs" in out
        assert "run 20260101-000000-aaaa is interrupted" in out and tui.wait(5) == -15
    finally:
        tui.kill()
        tui.wait()
