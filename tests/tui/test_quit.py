"""Quitting while a job runs asks first; "no" keeps working, "yes" stops every job (no orphans) and exits."""

from __future__ import annotations

import pytest
from processes import alive
from tuilab import TuiLab, wait_for

from thtui.core.config import repo_root
from thtui.core.jobs import RunSpec
from thtui.core.jobs.proctree import find_marked
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
