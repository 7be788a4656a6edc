"""Monitor: a job that holds several GPUs (infer.gpus) shows all of them in the queue's GPU column."""

from __future__ import annotations

from snapdata import RUN_ID, T0
from textual.widgets import DataTable
from tuilab import screen_text, wait_for

from thtui.core.jobs.events import JobInfo, JobQueued, JobStarted, RunStarted
from thtui.tui.app import ThtuiApp
from thtui.tui.messages import RunEvent


async def test_queue_names_every_gpu_of_a_job(settings, catalog) -> None:
    app = ThtuiApp(settings, catalog, live_monitor=False, ascii_only=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        key = "run-1"
        app.runs.new_run(key)
        jobs = [JobInfo(f"{RUN_ID}/{s}", s, 0, "p.jpg", "s.wav", 1, False, f"/out/{RUN_ID}/{s}")
                for s in ("liveavatar", "sadtalker")]  # fmt: skip
        events = [
            RunStarted(RUN_ID, f"/out/{RUN_ID}", tuple(jobs), at=T0),
            *(JobQueued(j, at=T0) for j in jobs),
        ]
        events += [
            JobStarted(jobs[0].job_id, 40001, 1, ("torchrun",), "/", "/log", (1, 2), at=T0),
            JobStarted(jobs[1].job_id, 40002, 0, ("python",), "/", "/log", at=T0),
        ]
        for e in events:
            app.post_message(RunEvent(key, e))
        table = app.screen.query_one("#queue", DataTable)
        await wait_for(pilot, lambda: jobs[1].job_id in table.rows, 5, "queue rows")
        await wait_for(pilot, lambda: str(table.get_cell(jobs[0].job_id, "gpu")) == "1,2", 5, "both GPUs")
        assert str(table.get_cell(jobs[1].job_id, "gpu")) == "0"


async def test_job_detail_names_every_gpu_of_a_job(settings, catalog) -> None:
    """Results → job detail: the 'gpu' row of a job that held GPUs 1 and 3 reads '1,3' (metrics.extra)."""
    from dataclasses import replace

    from snapdata import fill_store, metrics

    from thtui.core.store import Store
    from thtui.tui.screens.job_detail import JobDetailScreen

    job_id = fill_store(settings)
    store = Store(settings.db_path)
    store.job_finished(
        job_id, replace(metrics("ok", 41.7, 5800.0), gpu_index=1, extra={"gpu_indices": [1, 3]})
    )
    store.close()
    app = ThtuiApp(settings, catalog, live_monitor=False, ascii_only=False)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(JobDetailScreen(job_id))
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen), 5)
        await wait_for(pilot, lambda: "1,3" in screen_text(app), 10, "the gpu row")
        assert any(
            line.split()[:2] == ["gpu", "1,3"] for line in screen_text(app).splitlines() if "gpu" in line
        )
