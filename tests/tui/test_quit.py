"""Quitting while a job runs asks first; "no" keeps working, "yes" stops every job (no orphans) and exits."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from processes import alive
from tuilab import TuiLab, wait_for

from thtui.core.config import repo_root
from thtui.core.jobs import RunSpec
from thtui.core.jobs.proctree import JOB_ENV_MARKER, find_marked
from thtui.core.store import Store
from thtui.tui.screens.confirm import ConfirmScreen


async def test_quit_with_a_running_job_asks_then_stops_it(
    lab: TuiLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab.install("standin")
    monkeypatch.setenv("STANDIN_MODE", "children")
    monkeypatch.setenv("STANDIN_DELAY", "60")
    app = lab.app()
    assets = repo_root() / "assets"
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_run(
            RunSpec(
                solutions=("standin",), images=(assets / "portrait.jpg",), audios=(assets / "speech.wav",)
            )
        )
        await wait_for(pilot, lambda: len(lab.child_pids()) >= 2, 30, "job and its children running")
        (job,) = app.runs.jobs.values()
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "the question")
        await pilot.press("n")
        await pilot.pause(0.3)
        assert app.is_running and job.state == "running"
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5)
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.is_running, 60, "exit after stopping")
    assert job.state == "cancelled"
    assert alive([job.pid, *lab.child_pids()]) == []
    assert find_marked(job.job_id) == []


async def test_a_run_started_beside_an_orphan_asks_to_end_it(lab: TuiLab) -> None:
    """A run whose thtui was killed left a process running: the next run asks before it starts, and
    "End them" ends it."""
    run_id = "20250101-000000-dead"
    (lab.settings.outputs_dir / run_id).mkdir(parents=True)
    store = Store(lab.settings.db_path)
    try:
        store.create_run(run_id, {"solutions": ["standin"]}, lab.settings.outputs_dir / run_id, [])
        # Its owner is gone: this pid with another start time is how a dead (or reused) owner reads.
        store._db.execute("UPDATE runs SET owner_pid=?, owner_started=1.0 WHERE id=?", (os.getpid(), run_id))
    finally:
        store.close()
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                              env={**os.environ, JOB_ENV_MARKER: f"{run_id}/standin"})  # fmt: skip
    try:
        app = lab.app()
        assets = repo_root() / "assets"
        async with app.run_test(size=(100, 30)) as pilot:
            app.start_run(RunSpec(solutions=("static",), images=(assets / "portrait.jpg",),
                                  audios=(assets / "speech.wav",)))  # fmt: skip
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 20, "the question")
            assert str(orphan.pid) in app.screen.detail and run_id in app.screen.question
            assert app.runs.jobs == {}  # nothing has started while the question is open
            await pilot.press("y")
            await wait_for(pilot, lambda: orphan.poll() is not None, 20, "the orphan ended")
            await wait_for(pilot, lambda: any(r.status == "done" for r in app.runs.runs.values()), 60, "run")
    finally:
        orphan.kill()
        orphan.wait()


async def test_a_detached_run_goes_on_after_the_app_quits(lab: TuiLab) -> None:
    """The Run form's detach option (app.start_detached_run): a background thtui of its own session owns
    the run, the app quits at once (nothing of its own is busy), and the run still ends done."""
    assets = repo_root() / "assets"
    app = lab.app()
    async with app.run_test(size=(100, 30)) as pilot:
        worker = app.start_detached_run(
            RunSpec(solutions=("static",), images=(assets / "portrait.jpg",), audios=(assets / "speech.wav",))
        )
        await wait_for(pilot, lambda: worker.is_finished, 40, "the background run recorded")
        run_id = worker.result
        assert run_id is not None
        assert app.busy_items() == []  # quitting would not ask: the run is not this app's
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, 10, "quit")
    store = Store(lab.settings.db_path)
    try:
        run = store.get_run(run_id)
        assert run.owner_pid != os.getpid() and os.getsid(run.owner_pid) == run.owner_pid
        deadline = time.monotonic() + 90
        while store.get_run(run_id).state == "running" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert store.get_run(run_id).state == "done"
    finally:
        store.close()


async def test_the_quit_question_quits_once_the_work_it_was_about_ends(
    lab: TuiLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """q while a run ends (its last job done, its video being scored): the question stays on screen
    only while there is something to stop; when the run ends by itself the app quits, as asked."""
    lab.install("standin")
    monkeypatch.setenv("STANDIN_DELAY", "3")
    app = lab.app()
    assets = repo_root() / "assets"
    async with app.run_test(size=(80, 24)) as pilot:
        app.start_run(
            RunSpec(
                solutions=("standin",), images=(assets / "portrait.jpg",), audios=(assets / "speech.wav",)
            )
        )
        await wait_for(pilot, lambda: any(j.state == "running" for j in app.runs.jobs.values()), 30)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "the question")
        await wait_for(pilot, lambda: not app.is_running, 60, "exit once the run ended by itself")
    (job,) = app.runs.jobs.values()
    assert job.state == "ok"  # it ended on its own: nothing was stopped
