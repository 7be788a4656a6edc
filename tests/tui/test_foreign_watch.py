"""The TUI's watch over runs of other thtui processes, against a stand-in owner (a process that ends on
SIGTERM, as a run's owner does): Results and the Monitor show the run live within about a second (no
waiting for Results' slower poll), new log lines appear as the job's log file grows, and cancelling from
Results asks, then sends the owner SIGTERM; the run then reads interrupted everywhere."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from textual.widgets import DataTable
from tuilab import TuiLab, screen_text, wait_for

from thtui.core.run_state import Owner, current_owner, this_host
from thtui.core.store import JobRow, Store
from thtui.tui.screens.confirm import ConfirmScreen
from thtui.tui.screens.monitor import MonitorScreen
from thtui.tui.screens.results import ResultsScreen

RUN_ID = "20260101-000000-f00d"


@pytest.fixture
def owner_process():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc
    proc.kill()
    proc.wait()


def record_foreign_run(lab: TuiLab, proc: subprocess.Popen, monkeypatch) -> Path:
    """A run as `thtui run` in another pane records it: owned by `proc`, its job running with a log."""
    owner = Owner(proc.pid, psutil.Process(proc.pid).create_time(), this_host())
    run_dir = lab.settings.outputs_dir / RUN_ID
    job_dir = run_dir / "static"
    job_dir.mkdir(parents=True)
    store = Store(lab.settings.db_path)
    monkeypatch.setattr("thtui.core.store.current_owner", lambda: owner)
    spec = {"solutions": ["static"], "images": ["face.png"], "audios": ["speech.wav"]}
    store.create_run(RUN_ID, spec, run_dir, [JobRow(f"{RUN_ID}/static", 0, "static", 0, "face.png", "speech.wav", 1, False, str(job_dir))])  # fmt: skip
    monkeypatch.setattr("thtui.core.store.current_owner", current_owner)
    store.job_started(f"{RUN_ID}/static", pid=proc.pid, pid_create_time=owner.started, gpu=0)
    store.close()
    log = job_dir / "log.txt"
    log.write_text("[thtui] job on GPU 0\nhello from another pane\n")
    return log


async def test_results_and_monitor_follow_a_foreign_run_and_cancel_it(
    lab: TuiLab, owner_process, monkeypatch
) -> None:
    log = record_foreign_run(lab, owner_process, monkeypatch)
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), 5, "Monitor")
        await wait_for(pilot, lambda: "hello from another pane" in screen_text(app), 10, "its log")
        assert app.job_roots.get(owner_process.pid) == (f"{RUN_ID}/static", "static")
        with log.open("a") as f:
            f.write("a line written later\n")
        await wait_for(pilot, lambda: "a line written later" in screen_text(app), 5, "the new line")

        await pilot.press("4")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), 5, "Results")
        runs = app.screen.query_one("#runs", DataTable)
        await wait_for(pilot, lambda: RUN_ID in screen_text(app), 10, "the run in Results")
        assert "running" in str(runs.get_row(RUN_ID)[1])
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "the question")
        assert f"pid {owner_process.pid}" in app.screen.detail
        await pilot.press("y")
        await wait_for(pilot, lambda: owner_process.poll() is not None, 10, "the owner to end")
        assert owner_process.returncode == -15  # SIGTERM, what `thtui run --cancel` sends
        # Within a poll or two (not Results' 3 s), the run reads interrupted and its job is no longer running.
        await wait_for(pilot, lambda: "interrupted" in str(runs.get_row(RUN_ID)[1]), 2.5, "interrupted")
        job = app.foreign.jobs[f"{RUN_ID}/static"]
        await wait_for(pilot, lambda: job.state == "interrupted", 2.5, "the job's state")
        assert owner_process.pid not in app.job_roots


async def test_a_refused_cancel_says_why(lab: TuiLab, owner_process, monkeypatch) -> None:
    record_foreign_run(lab, owner_process, monkeypatch)
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: RUN_ID in screen_text(app), 10, "the run in Results")
        owner_process.kill()  # it ends between the question and the answer
        owner_process.wait()
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "the question")
        await pilot.press("y")
        told = lambda: " ".join(str(n.message) for n in app._notifications)  # noqa: E731
        await wait_for(pilot, lambda: "nothing to cancel" in told(), 5, "the refusal")
        assert f"run {RUN_ID} is not running (interrupted)" in told()


async def test_resume_and_delete_leave_a_run_another_thtui_runs_alone(
    lab: TuiLab, owner_process, monkeypatch
) -> None:
    log = record_foreign_run(lab, owner_process, monkeypatch)
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: RUN_ID in screen_text(app), 10, "the run in Results")
        told = lambda: " ".join(str(n.message) for n in app._notifications)  # noqa: E731
        await pilot.press("R")
        await wait_for(pilot, lambda: "running in another thtui" in told(), 5, "resume refused")
        assert f"pid {owner_process.pid}" in told()
        await pilot.press("d")
        await wait_for(pilot, lambda: "cancel it (c) before deleting it" in told(), 5, "delete refused")
        assert not isinstance(app.screen, ConfirmScreen) and app.runs.runs == {}
        # And a resume that gets past the screen (the run worker's own check) is refused in one line.
        from thtui.tui.workers import ResumeRequest

        key = app.start_run(ResumeRequest(RUN_ID))
        await wait_for(pilot, lambda: not app.runs.runs[key].active, 10, "the refusal")
        assert "is running in another thtui" in (app.runs.runs[key].error or "")
    assert owner_process.poll() is None and log.parent.is_dir()


async def test_cancelling_a_run_of_another_tui_says_that_it_quits_that_tui(
    lab: TuiLab, tmp_path: Path, monkeypatch
) -> None:
    script = tmp_path / "thtui"  # a TUI's command line: `thtui` and no command
    script.write_text("import time\ntime.sleep(120)\n")
    tui = subprocess.Popen([sys.executable, str(script), "--data-root", str(lab.settings.data_root)])
    try:
        record_foreign_run(lab, tui, monkeypatch)
        app = lab.app()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("3")
            await wait_for(pilot, lambda: f"{RUN_ID}/static" in app.foreign.jobs, 10, "its job")
            await wait_for(pilot, lambda: app.foreign.runs[RUN_ID].owner_command == "", 5, "its owner kind")
            await pilot.press("C")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "the question")
            assert "quits that TUI" in app.screen.detail and "runs and installs" in app.screen.detail
            await pilot.press("n")
            await pilot.pause(0.3)
        assert tui.poll() is None  # kept: nothing was sent
    finally:
        tui.kill()
        tui.wait()
