"""Runs owned by another thtui process, seen from the TUI: the Run form's detach option starts one (a
background `thtui run` that outlives the app); a run started by `thtui run --detach` in a separate process
shows live in the Monitor (its job's state from the store, its log lines from the job's log file, its GPU
process named after the job) and in Results, and cancelling it from the TUI ends every one of its
processes, as `thtui run --cancel` does."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from media_factory import make_tone
from processes import alive, kill_leftovers
from stand_ins.installed import STANDIN
from textual.widgets import DataTable, SelectionList
from tuilab import TuiLab, screen_text, wait_for

from thtui.core.config import repo_root
from thtui.core.jobs.foreign import request_cancel, wait_owner_gone
from thtui.core.jobs.proctree import kill_marked
from thtui.core.store import Store
from thtui.tui.detached import still_running
from thtui.tui.screens.confirm import ConfirmScreen
from thtui.tui.screens.monitor import MonitorScreen
from thtui.tui.screens.results import ResultsScreen
from thtui.tui.screens.run import RunScreen

pytestmark = pytest.mark.slow


@pytest.fixture
def foreign(lab: TuiLab, monkeypatch: pytest.MonkeyPatch):
    """The stand-in installed and visible to a second `thtui` process (THTUI_SOLUTIONS), a long job, and
    afterwards nothing left running whatever the test did."""
    lab.install("standin")
    solutions = lab.tmp / "solutions"
    for name, src in (("standin", STANDIN), ("static", repo_root() / "solutions" / "static")):
        (solutions / name).mkdir(parents=True)
        shutil.copyfile(src / "solution.yaml", solutions / name / "solution.yaml")
    monkeypatch.setenv("THTUI_SOLUTIONS", str(solutions))
    monkeypatch.setenv("THTUI_GPU_BACKEND", "fake")
    monkeypatch.setenv("STANDIN_DELAY", "60")
    yield lab
    for run_dir in lab.settings.outputs_dir.glob("2*"):
        kill_marked(f"{run_dir.name}/", prefix=True, grace=0.5)
    kill_leftovers(lab.child_pids())


def inputs(tmp: Path) -> tuple[Path, Path]:
    from PIL import Image

    image = tmp / "in" / "face.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 64), (192, 128, 64)).save(image)
    return image, make_tone(tmp / "in" / "speech.wav", 1.0)


def owners(lab: TuiLab) -> dict[str, tuple[int, list[int]]]:
    """run id -> (owner pid, job root pids) as the store has them."""
    store = Store(lab.settings.db_path)
    try:
        return {
            r.id: (r.owner_pid, [j.pid for j in store.list_jobs(r.id) if j.pid]) for r in store.list_runs()
        }
    finally:
        store.close()


def job_rows(app) -> list[str]:
    table = app.screen.query_one("#queue", DataTable)
    return [str(k.value) for k in table.rows]


async def test_the_run_form_detaches_a_run_that_outlives_the_app(foreign: TuiLab, monkeypatch) -> None:
    monkeypatch.setenv("STANDIN_MODE", "vram")
    app = foreign.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), 5, "Run screen")
        screen = app.screen
        await wait_for(pilot, lambda: screen.query_one(SelectionList).option_count > 0, 10, "solutions")
        await wait_for(pilot, lambda: "standin" in screen.ready, 10, "standin ready")
        screen.query_one(SelectionList).deselect_all()
        screen.query_one(SelectionList).select("standin")
        screen.query_one("#detach").value = True
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "runs in the background" in screen_text(app), 60, "the run's id")
        status = str(screen.query_one("#start-status").render())
        run_id = re.search(r"run (\S+) runs in the background", status).group(1)
        assert f"thtui runs --follow {run_id}" in status
        assert app.runs.runs == {}  # not this app's run: nothing of it is in this session's tracker
        # The Monitor shows it (another process owns it) and names its GPU process after its job.
        await pilot.press("3")
        await wait_for(pilot, lambda: f"{run_id}/standin" in job_rows(app), 30, "its job in the Monitor")
        procs = app.screen.query_one("#procs", DataTable)
        owners_shown = lambda: [str(procs.get_row_at(i)[3]) for i in range(procs.row_count)]  # noqa: E731
        await wait_for(pilot, lambda: "standin" in owners_shown(), 30, f"its GPU process {owners_shown()}")
    owner, _ = owners(foreign)[run_id]
    assert owner != os.getpid() and os.getsid(owner) == owner  # a session of its own
    assert alive([owner]) == [owner]  # the app has exited; its detached run goes on
    # ... and what the app prints as it exits says so (run_tui prints these lines).
    assert app.detached_runs == [run_id]
    assert still_running(foreign.settings, app.detached_runs) == [
        f"run {run_id} goes on in the background: follow it with  thtui runs --follow {run_id}  "
        f"(thtui run --cancel {run_id} ends it)"
    ]
    store = Store(foreign.settings.db_path)
    try:
        asked = request_cancel(store, run_id)  # what `thtui run --cancel` does, to end it here
    finally:
        store.close()
    assert wait_owner_gone(asked, 60) and alive([owner, *owners(foreign)[run_id][1]]) == []
    assert still_running(foreign.settings, app.detached_runs) == []


async def test_a_run_of_another_process_is_live_in_the_monitor_and_cancelled_from_it(
    foreign: TuiLab, monkeypatch
) -> None:
    monkeypatch.setenv("STANDIN_MODE", "children")
    image, audio = inputs(foreign.tmp)
    started = subprocess.run(
        [sys.executable, "-m", "thtui", "run", "standin", "--image", str(image), "--audio", str(audio), "--detach"],
        cwd=repo_root(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    run_id = re.search(r"run (\S+) runs in the background", started.stdout).group(1)
    app = foreign.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), 5, "Monitor")
        monitor = app.screen
        await wait_for(pilot, lambda: f"{run_id}/standin" in job_rows(app), 30, "the other process's job")
        job_id = f"{run_id}/standin"
        await wait_for(pilot, lambda: "standin: started workers" in screen_text(app), 30, "its log lines")
        text = screen_text(app)
        assert "running" in text and "↗" in text and f"thtui pid {owners(foreign)[run_id][0]}" in text
        # Its GPU process (the fake GPU's escapee announces 1000 MiB) is listed; the job's own root pid is
        # in job_roots, so a process under it is named after the job.
        owner, roots = owners(foreign)[run_id]
        assert roots and app.job_roots.get(roots[0]) == (job_id, "standin")

        await pilot.press("4")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), 5, "Results")
        await wait_for(
            pilot, lambda: run_id in screen_text(app) and "running" in screen_text(app), 10, "Results"
        )

        await pilot.press("3")
        await wait_for(pilot, lambda: app.screen is monitor, 5, "Monitor again")
        await pilot.press("c")  # the job's own cancel: another process runs it, so its run is asked to end
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "the confirmation")
        await wait_for(pilot, lambda: f"Cancel run {run_id}?" in screen_text(app), 5, "the question")
        assert f"Another thtui (pid {owner}) runs it" in app.screen.detail and "--cancel" in app.screen.detail
        await pilot.press("y")
        pids = [owner, *roots, *foreign.child_pids()]
        assert len(pids) >= 4
        await wait_for(pilot, lambda: alive(pids) == [], 60, "every process of the run to end")
        await wait_for(pilot, lambda: app.foreign.jobs[job_id].state != "running", 10, "the job's new state")
        assert app.foreign.runs[run_id].state == "interrupted"
        told = lambda: [n.message for n in app._notifications]  # noqa: E731
        await wait_for(
            pilot, lambda: f"run {run_id} is interrupted" in " ".join(told()), 10, f"the toast {told()}"
        )
    store = Store(foreign.settings.db_path)
    try:
        assert store.get_run(run_id).state == "interrupted"
    finally:
        store.close()
