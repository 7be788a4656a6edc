"""Results screen: runs from the TUI and from `thtui run` in the same store, a sortable jobs table, a job's
detail (metrics, VRAM plot, output path, a frame drawn in the terminal), retry, and delete after asking."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from textual.widgets import DataTable
from tuilab import TuiLab, screen_text, wait_for

from thtui.core.config import repo_root
from thtui.core.jobs import RunSpec
from thtui.tui.screens.confirm import ConfirmScreen
from thtui.tui.screens.job_detail import JobDetailScreen
from thtui.tui.screens.results import ResultsScreen
from thtui.tui.widgets.frame_preview import FramePreview

PORTRAIT = repo_root() / "assets" / "portrait.jpg"
SPEECH = repo_root() / "assets" / "speech.wav"


def spec(*solutions: str, **kw) -> RunSpec:
    return RunSpec(solutions=solutions, images=(PORTRAIT,), audios=(SPEECH,), **kw)


async def run_and_wait(pilot, app, run_spec: RunSpec) -> str:
    key = app.start_run(run_spec)
    await wait_for(pilot, lambda: not app.runs.runs[key].active, 60, "run finished")
    run = app.runs.runs[key]
    assert run.run_id, run.error  # refused before it started
    return run.run_id


def jobs_table(app) -> DataTable:
    return app.screen.query_one("#jobs", DataTable)


async def test_cli_and_tui_runs_land_in_the_same_results(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), 5)
        tui_run = await run_and_wait(pilot, app, spec("static"))
        # `thtui run` in another terminal (same THTUI_HOME / THTUI_OUTPUTS): its run shows up while we watch.
        cli = subprocess.run(
            [sys.executable, "-m", "thtui", "run", "static", "--image", str(PORTRAIT), "--audio", str(SPEECH), "--json"],
            capture_output=True, text=True, timeout=120, env=dict(os.environ), cwd=lab.tmp,
        )  # fmt: skip
        assert cli.returncode == 0, cli.stderr[-2000:]
        runs = [p.name for p in lab.settings.outputs_dir.iterdir() if p.is_dir()]
        cli_run = next(r for r in runs if r != tui_run)
        await wait_for(
            pilot, lambda: cli_run in screen_text(app) and tui_run in screen_text(app), 10, "both runs"
        )
        assert (lab.settings.outputs_dir / cli_run / "static" / "result.mp4").exists()


async def test_sort_detail_retry_and_delete(lab: TuiLab, monkeypatch: pytest.MonkeyPatch) -> None:
    lab.install("standin")
    monkeypatch.setenv("STANDIN_MODE", "crash")
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        run_id = await run_and_wait(pilot, app, spec("static", "standin", repeat=2))
        await pilot.press("4")
        await wait_for(pilot, lambda: jobs_table(app).row_count == 4, 30, "four jobs listed")
        table = jobs_table(app)
        # Sort by wall time (s cycles the column; the header shows the arrow), then reverse.
        while "wall s▲" not in [str(c.label) for c in table.columns.values()]:
            await pilot.press("s")
        walls = [table.get_row_at(i)[4] for i in range(table.row_count)]
        numbers = [float(w) for w in walls if w != "—"]
        assert numbers == sorted(numbers)
        await pilot.press("S")
        walls = [table.get_row_at(i)[4] for i in range(jobs_table(app).row_count)]
        numbers = [float(w) for w in walls if w != "—"]
        assert numbers == sorted(numbers, reverse=True)

        # Job detail of a static job: metrics, output path and a frame of the video.
        table.focus()
        static_row = next(i for i in range(table.row_count) if table.get_row_at(i)[0] == "static")
        table.move_cursor(row=static_row)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen), 5)
        preview = app.screen.query_one(FramePreview)
        try:
            await wait_for(
                pilot, lambda: preview.pixels or preview.message.startswith("no preview"), 20, "a frame"
            )
        except AssertionError:
            print("WORKERS", [(w.name, w.group, w.state, w.error) for w in app.workers])
            print("IDS", id(preview), id(app.screen), preview.pixels is None)
            print(
                "MSG",
                preview.message,
                [type(s).__name__ for s in app.screen_stack],
                preview is app.screen.query_one(FramePreview),
            )
            raise
        assert preview.pixels, preview.message
        text = screen_text(app)
        assert "wall time" in text and "RTF" in text and "result.mp4" in text
        assert "▀" in text  # half blocks
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), 5)

        # Retry the failed stand-in job (the crash was the environment's fault): a new run, which works.
        failed_row = next(i for i in range(table.row_count) if table.get_row_at(i)[0] == "standin")
        assert "failed" in str(table.get_row_at(failed_row)[3])
        table.move_cursor(row=failed_row)
        monkeypatch.delenv("STANDIN_MODE")
        await pilot.press("r")
        await wait_for(pilot, lambda: len(app.runs.runs) == 2 and not app.runs.active_runs, 60, "retry ran")
        retry = [r for r in app.runs.runs.values() if r.run_id != run_id][0]
        assert retry.status == "done"

        # Delete the first run, after confirming; its outputs go too.
        runs = app.screen.query_one("#runs", DataTable)
        await wait_for(pilot, lambda: runs.row_count == 2, 10)
        runs.move_cursor(row=runs.get_row_index(run_id))
        runs.focus()
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5)
        await pilot.press("y")
        await wait_for(pilot, lambda: run_id not in screen_text(app), 30, "run gone from the list")
        assert not (lab.settings.outputs_dir / run_id).exists()
        assert retry.run_id in screen_text(app)


async def test_resume_retries_the_failed_jobs_in_place(lab: TuiLab, monkeypatch: pytest.MonkeyPatch) -> None:
    lab.install("standin")
    monkeypatch.setenv("STANDIN_MODE", "crash")
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        run_id = await run_and_wait(pilot, app, spec("standin"))
        await pilot.press("4")
        await wait_for(pilot, lambda: "failed" in screen_text(app) and run_id in screen_text(app), 30)
        monkeypatch.delenv("STANDIN_MODE")
        app.screen.query_one("#runs", DataTable).focus()
        await pilot.press("R")
        await wait_for(pilot, lambda: len(app.runs.runs) == 2 and not app.runs.active_runs, 60, "resumed")
        resumed = list(app.runs.runs.values())[-1]
        assert resumed.run_id == run_id and resumed.status == "done"
        await wait_for(pilot, lambda: "1/1 ok" in screen_text(app), 30, "the run shows done")


async def test_the_chosen_run_stays_chosen_while_another_runs(
    lab: TuiLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A running run changes status and counts, which redraws the runs table: the cursor must stay on the
    run the user chose (v and e act on it), not jump back to the first row."""
    lab.install("standin")
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        older = await run_and_wait(pilot, app, spec("static"))
        await run_and_wait(pilot, app, spec("static"))
        await pilot.press("4")
        await wait_for(pilot, lambda: older in screen_text(app), 10, "runs listed")
        monkeypatch.setenv("STANDIN_MODE", "hang")
        key = app.start_run(spec("standin"))
        screen = app.screen
        runs = screen.query_one("#runs", DataTable)
        await wait_for(pilot, lambda: runs.row_count == 3 and "running" in screen_text(app), 30, "third run")
        runs.focus()
        runs.move_cursor(row=runs.get_row_index(older))
        await wait_for(pilot, lambda: screen._shown_run == older, 10, "older run's jobs shown")
        for _ in range(3):  # job events of the running run, and a poll
            app.jobs_changed.publish(key)
            await pilot.pause(0.3)
        screen.refresh_results()
        await pilot.pause(0.5)
        assert screen.selected_run == older and screen._shown_run == older
        app.cancel_run(key)
        await wait_for(pilot, lambda: not app.runs.runs[key].active, 30, "cancelled")
        assert screen.selected_run == older
