"""Automatic scores in the TUI: the Results screen's score columns and the job detail's plots of mouth
opening against loudness and of identity over time. Scores are written with the run scorer's own
store_scores (deterministic series), beside the snapshot test's fixed runs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import snapdata
from test_snapshots import SIZES, frame_video, make_app, settle  # noqa: F401  (fixtures)
from textual.widgets import DataTable
from tuilab import wait_for

from thtui.core.scores import METRICS
from thtui.core.scores.pipeline import ScoreTask, store_scores
from thtui.core.store import Store
from thtui.tui.screens.job_detail import JobDetailScreen
from thtui.tui.widgets.frame_preview import FramePreview
from thtui.tui.widgets.score_plot import ScorePlot

RUN = snapdata.RUN_ID


def _scores(corr: float | None, n: int = 150) -> dict:
    data = {k: None for k in METRICS}
    data.update(
        face_found=1.0, lipsync_corr=corr, lipsync_offset_frames=0 if corr else None, identity_distance=0.213
    )
    data.update(cpbd=0.3412 if corr else None, cpbd_portrait=0.4199)
    loud = [math.sin(i / 6.0) ** 2 for i in range(n)]
    data["series"] = {
        "mouth_open": [0.1 + 0.3 * v for v in loud] if corr else [0.12] * n,
        "loudness": [-3 + 2 * v for v in loud],
        "identity_distance": [0.2 + 0.05 * math.sin(i / 20.0) if i % 4 == 0 else None for i in range(n)],
    }
    data["missing"] = {} if corr else {"lipsync_corr": "the mouth never moves (its opening is constant)"}
    return data


def fill_scored(settings) -> str:
    job_id = snapdata.fill_store(settings, None)
    store = Store(settings.db_path)
    try:
        for solution, corr in (("sadtalker", 0.4321), ("static", None)):
            job_dir = settings.outputs_dir / RUN / solution
            task = ScoreTask(
                f"{RUN}/{solution}", RUN, str(job_dir), str(job_dir / "result.mp4"), "p.png", None
            )
            store_scores(task, "ok", _scores(corr), store, None)
    finally:
        store.close()
    return job_id


@pytest.fixture
def scored(settings, frame_video: Path) -> str:  # noqa: F811
    job_id = fill_scored(settings)
    import shutil

    shutil.copyfile(frame_video, settings.outputs_dir / RUN / "sadtalker" / "result.mp4")
    return job_id


async def _open_results(pilot) -> DataTable:
    await pilot.press("4")
    jobs = pilot.app.screen.query_one("#jobs", DataTable)
    await wait_for(pilot, lambda: jobs.row_count == 3, 10)
    await settle(pilot)
    return jobs


async def _open_detail(pilot, job_id: str) -> None:
    jobs = await _open_results(pilot)
    jobs.move_cursor(row=jobs.get_row_index(job_id))
    jobs.focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobDetailScreen), 5)
    await wait_for(pilot, lambda: pilot.app.screen.query_one(ScorePlot).scores is not None, 10)
    await wait_for(pilot, lambda: pilot.app.screen.query_one(FramePreview).pixels, 60)
    await settle(pilot)


async def test_results_show_score_columns(make_app, scored: str) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        jobs = await _open_results(pilot)
        labels = [str(c.label) for c in jobs.columns.values()]
        assert labels[-5:] == ["face", "sync r", "off", "id d", "cpbd"]
        row = jobs.get_row(f"{RUN}/sadtalker")
        assert [str(c) for c in row[-5:]] == ["1.00", "0.43", "+0", "0.213", "0.34"]
        assert [str(c) for c in jobs.get_row(f"{RUN}/static")[-5:]] == ["1.00", "—", "—", "0.213", "—"]
        assert [str(c) for c in jobs.get_row(f"{RUN}/wav2lip")[-5:]] == ["", "", "", "", ""]  # never scored


async def test_job_detail_plots_mouth_loudness_and_identity(make_app, scored: str) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_detail(pilot, scored)
        plot = pilot.app.screen.query_one(ScorePlot)
        text = "\n".join(s.plain for s in plot.render().renderables)
        assert "lip-sync r 0.43 (proxy) at offset +0 frames" in text and "identity 0.213" in text
        assert "CPBD 0.34 (portrait 0.42)" in text
        rows = text.splitlines()
        lines = {row.split()[0]: row for row in rows[1:4]}
        # The mouth follows the loudness here: both rows carry the same shape of blocks.
        assert lines["mouth"].split(None, 1)[1] == lines["loudness"].split(None, 1)[1]
        assert any(ch in lines["identity"] for ch in "▁▂▃")


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_job_detail_with_scores(snap_compare, make_app, scored: str, size: str) -> None:  # noqa: F811
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=lambda p: _open_detail(p, scored))


def test_snapshot_results_with_scores(snap_compare, make_app, scored: str) -> None:  # noqa: F811
    assert snap_compare(make_app(), terminal_size=SIZES["160x48"], run_before=_open_results)


async def test_run_form_scores_by_default_and_can_turn_it_off(make_app) -> None:  # noqa: F811
    from thtui.tui.run_form import build_spec
    from thtui.tui.widgets.toggles import PlainCheckbox

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: bool(pilot.app.screen.query("#score")), 5)
        screen = pilot.app.screen
        box = screen.query_one("#score", PlainCheckbox)
        assert box.value is True
        values = screen.collect()
        values.solutions = ["static"]
        assert build_spec(values, 0).score is True
        box.value = False
        await pilot.pause()
        assert build_spec(screen.collect(), 0).score is False
