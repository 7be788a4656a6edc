"""Monitor screen: fixed-scale GPU panels from the fake backend, a process table naming the job that owns
each GPU process, the job queue, the live log of the selected job; host panels only without a GPU."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable
from tuilab import TuiLab, screen_text, wait_for

from thtui.core.jobs import RunSpec
from thtui.core.monitor import NullGpuBackend
from thtui.tui.screens.monitor import MonitorScreen
from thtui.tui.widgets.gpu_panel import GpuPanel, HostPanel
from thtui.tui.widgets.history_graph import FixedScaleHistory, HistoryGraph
from thtui.tui.widgets.log_view import VIEW_MAX_LINES, LogView


def spec(lab: TuiLab, *solutions: str) -> RunSpec:
    """The sample portrait and speech (the stand-in takes any picture and any speech)."""
    from thtui.core.config import repo_root

    return RunSpec(solutions=solutions, images=(repo_root() / "assets" / "portrait.jpg",),
                   audios=(repo_root() / "assets" / "speech.wav",))  # fmt: skip


async def test_panels_processes_queue_and_log(lab: TuiLab, monkeypatch: pytest.MonkeyPatch) -> None:
    lab.install("standin")
    monkeypatch.setenv("STANDIN_MODE", "vram")  # announces 1000 MB on the fake GPU while it "infers"
    monkeypatch.setenv("STANDIN_DELAY", "4")
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), 5)
        await wait_for(pilot, lambda: app.screen.query(GpuPanel), 10, "a GPU panel")
        app.start_run(spec(lab, "standin"))
        procs = app.screen.query_one("#procs", DataTable)
        owned = lambda: any("standin" in str(procs.get_row_at(i)[3]) for i in range(procs.row_count))  # noqa: E731
        await wait_for(pilot, owned, 30, "the job's GPU process in the table")
        text = screen_text(app)
        assert "Fake GPU" in text and "1000M" in text
        assert "running" in text  # the queue
        log = app.screen.query_one("#job-log", LogView)
        await wait_for(pilot, lambda: log.line_count > 1, 10, "the job's output")
        series = app.history.gpus[0].mem
        assert max(v for v in series if v is not None) >= 1000 * 1024 * 1024
        await wait_for(pilot, lambda: not app.runs.active_runs, 30, "run over")
        (job,) = app.runs.jobs.values()
        assert job.state == "ok"


async def test_no_gpu_shows_host_panels_and_says_why(lab: TuiLab) -> None:
    app = lab.app(gpu_backend_factory=lambda: NullGpuBackend("NVML unavailable: driver not loaded"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: "no NVIDIA GPU" in screen_text(app), 10, "the no-GPU line")
        assert "driver not loaded" in screen_text(app)
        assert not app.screen.query(GpuPanel)
        assert app.screen.query_one(HostPanel).display


def test_history_is_drawn_on_a_fixed_scale() -> None:
    # Sparkline would stretch 90..100 % to the full height; a fixed 0..100 scale keeps both near full
    # and an idle GPU at the bottom.
    full = FixedScaleHistory([90, 100], 100, width=2, height=2).rows()
    assert full == ["▆█", "██"]
    idle = FixedScaleHistory([0, 1, None], 100, width=4, height=1).rows()
    assert idle == ["  ▁ "]  # right-aligned, none = blank, any activity shows
    half = FixedScaleHistory([50] * 3, 100, width=3, height=2).rows()
    assert half == ["   ", "███"]
    assert FixedScaleHistory([250], 100, width=1, height=1).rows() == ["█"]  # clipped, not rescaled


async def test_log_view_follows_a_flood_with_bounded_memory(lab: TuiLab) -> None:
    app = lab.app(live_monitor=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), 5)
        log = app.screen.query_one("#job-log", LogView)
        buffer = app.logs.buffer("job:flood")
        log.follow(buffer)
        for batch in range(20):
            buffer.extend([f"line {batch * 1000 + i}" for i in range(1000)])
            await pilot.pause()
        await wait_for(pilot, lambda: log.lines and log.lines[-1] == "line 19999", 5, "caught up")
        assert log.line_count <= VIEW_MAX_LINES
        assert len(buffer.since(0)[0]) <= 5000  # the buffer keeps only its tail too
        assert log.is_vertical_scroll_end  # following the end


def test_graph_widget_keeps_its_scale() -> None:
    graph = HistoryGraph(100.0)
    assert graph.upper == 100.0


async def test_a_second_run_is_followed_until_the_user_picks_a_job(
    lab: TuiLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queue keeps the session's jobs; rows say their run once there are several; the log follows the
    newest running job (so c cancels it) until the user moves the cursor; f goes back to following."""
    lab.install("standin")
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        first = app.start_run(spec(lab, "static"))
        await wait_for(pilot, lambda: not app.runs.runs[first].active, 60, "first run done")
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), 5)
        monkeypatch.setenv("STANDIN_MODE", "hang")
        second = app.start_run(spec(lab, "standin"))
        running = lambda: any(j.state == "running" for j in app.runs.jobs.values())  # noqa: E731
        await wait_for(pilot, running, 30, "the second run's job running")
        (job_b,) = app.runs.runs[second].job_ids
        screen = app.screen
        await wait_for(pilot, lambda: screen.selected_job == job_b, 5, "the new job selected")
        assert screen.query_one("#job-log", LogView).border_title == "log — standin"
        run_tag = app.runs.runs[second].run_id.rsplit("-", 1)[-1]
        assert f"standin {run_tag}" in screen_text(app)

        # The user looks at the finished static job: it stays selected while the other one runs.
        await pilot.press("up")
        (job_a,) = app.runs.runs[first].job_ids
        await wait_for(pilot, lambda: screen.selected_job == job_a, 5)
        app.jobs_changed.publish(job_b)  # as any event of the running job would
        await pilot.pause(0.2)
        assert screen.selected_job == job_a

        # f: back to the running job; c cancels it.
        await pilot.press("f")
        await wait_for(pilot, lambda: screen.selected_job == job_b, 5)
        await pilot.press("c", "y")  # y: the confirmation
        await wait_for(pilot, lambda: not app.runs.runs[second].active, 30, "the job cancelled")
        assert app.runs.jobs[job_b].state == "cancelled"


async def test_the_newest_run_is_followed_through_a_burst_of_job_events(lab: TuiLab) -> None:
    """Four quick jobs, then four more as a new run: every refresh moves the cursor, and those moves must
    not be taken for the user's choice (which would stop the following)."""
    app = lab.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), 5)
        screen = app.screen
        first = app.start_run(RunSpec(**{**spec(lab, "static").__dict__, "repeat": 4}))
        await wait_for(pilot, lambda: not app.runs.runs[first].active, 90, "first run done")
        second = app.start_run(RunSpec(**{**spec(lab, "static").__dict__, "repeat": 4}))
        await wait_for(pilot, lambda: app.runs.runs[second].job_ids, 30, "second run queued")
        ids = app.runs.runs[second].job_ids
        seen_running = False
        while app.runs.runs[second].active:
            sel = screen.selected_job
            if sel is not None and app.runs.jobs[sel].state == "running":
                assert sel in ids, "followed a job of the old run"
                seen_running = True
            await pilot.pause(0.05)
        assert seen_running and screen.selected_job in ids
        assert screen._auto_follow
