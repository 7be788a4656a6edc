"""SVG snapshots of every screen at 80x24 and 160x48. Deterministic: a frozen clock, no live sampler (fixed
monitor readings are fed in), fixed run ids, tmp data roots shown relative, the repo as working dir.

Update after checking the report: pytest tests/tui/test_snapshots.py --snapshot-update"""

from __future__ import annotations

from pathlib import Path

import pytest
import snapdata
from textual.widgets import DataTable, DirectoryTree, SelectionList
from tuilab import FROZEN_NOW, wait_for

from thtui.core.catalog import Catalog
from thtui.core.config import repo_root
from thtui.tui.app import ThtuiApp
from thtui.tui.screens.job_detail import JobDetailScreen
from thtui.tui.widgets.frame_preview import FramePreview

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}


@pytest.fixture(scope="session")
def frame_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return snapdata.make_frame_video(tmp_path_factory.mktemp("frame") / "frame.mp4")


@pytest.fixture
def make_app(settings, catalog: Catalog, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(repo_root())  # sample inputs show as assets/...
    monkeypatch.setenv("THTUI_ASCII", "")
    monkeypatch.setenv("THTUI_RATER", "ada")  # the rating form shows who rates

    def make() -> ThtuiApp:
        return ThtuiApp(
            settings, catalog, clock=lambda: FROZEN_NOW + 75, live_monitor=False, ascii_only=False
        )

    return make


async def settle(pilot) -> None:
    """Wait for our own workers (DirectoryTree keeps a loader worker alive forever: not that one)."""
    for _ in range(2):
        ours = [w for w in pilot.app.workers if not isinstance(w.node, DirectoryTree) and not w.is_finished]
        if ours:  # an empty list would mean "every worker"
            await pilot.app.workers.wait_for_complete(ours)
        await pilot.pause(0.1)


@pytest.mark.parametrize("size", SIZES)
def test_solutions(snap_compare, make_app, size: str) -> None:
    async def before(pilot) -> None:
        app = pilot.app
        snapdata.feed_install(app)
        table = app.screen.query_one("#solutions", DataTable)
        await wait_for(pilot, lambda: "ready" in str(table.get_cell("static", "status")), 10)
        table.move_cursor(row=table.get_row_index("sadtalker"))
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=before)


def test_solutions_filtered(snap_compare, make_app) -> None:
    """G and C on an 80 GiB GPU: the systems that fit it and allow commercial use; the border says so."""

    async def before(pilot) -> None:
        app = pilot.app
        snapdata.feed_monitor(app, 1, with_jobs=False)
        table = app.screen.query_one("#solutions", DataTable)
        await wait_for(pilot, lambda: "ready" in str(table.get_cell("static", "status")), 10)
        await pilot.press("G", "C")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES["80x24"], run_before=before)


async def _open_run(pilot) -> None:
    await pilot.press("2")
    await wait_for(
        pilot,
        lambda: (
            pilot.app.screen.query(SelectionList) and pilot.app.screen.query_one(SelectionList).option_count
        ),
        10,
    )
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_run_form(snap_compare, make_app, size: str) -> None:
    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=_open_run)


@pytest.mark.parametrize("size", SIZES)
def test_run_form_flags_problems(snap_compare, make_app, size: str) -> None:
    async def before(pilot) -> None:
        await _open_run(pilot)
        await pilot.press("right", "space")  # text -> speech, with no text typed
        pilot.app.screen.query_one(SelectionList).deselect_all()
        await pilot.press("ctrl+r")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_file_picker(snap_compare, make_app, size: str) -> None:
    async def before(pilot) -> None:
        await _open_run(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause(0.3)
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_monitor(snap_compare, make_app, size: str) -> None:
    async def before(pilot) -> None:
        snapdata.feed_monitor(pilot.app, n_gpus=2, with_jobs=True)
        snapdata.feed_run(pilot.app)
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_monitor_without_gpu(snap_compare, make_app, size: str) -> None:
    async def before(pilot) -> None:
        snapdata.feed_monitor(pilot.app, n_gpus=0, with_jobs=False)
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_results(snap_compare, make_app, settings, size: str) -> None:
    snapdata.fill_store(settings)

    async def before(pilot) -> None:
        await pilot.press("4")
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#jobs", DataTable).row_count == 3, 10)
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_job_detail(snap_compare, make_app, settings, frame_video: Path, size: str) -> None:
    job_id = snapdata.fill_store(settings, frame_video)

    async def before(pilot) -> None:
        await pilot.press("4")
        jobs = pilot.app.screen.query_one("#jobs", DataTable)
        await wait_for(pilot, lambda: jobs.row_count == 3, 10)
        jobs.move_cursor(row=jobs.get_row_index(job_id))
        jobs.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, JobDetailScreen), 5)
        await wait_for(pilot, lambda: pilot.app.screen.query_one(FramePreview).pixels, 60)
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_rating_form(snap_compare, make_app, settings, frame_video: Path, size: str) -> None:
    job_id = snapdata.fill_store(settings, frame_video)

    async def before(pilot) -> None:
        await pilot.press("4")
        jobs = pilot.app.screen.query_one("#jobs", DataTable)
        await wait_for(pilot, lambda: jobs.row_count == 3, 10)
        jobs.move_cursor(row=jobs.get_row_index(job_id))
        jobs.focus()
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("4", "3")  # lip-sync 4, head motion 3; the cursor waits on artifacts
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, make_app, size: str) -> None:
    async def before(pilot) -> None:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_quit_confirmation(snap_compare, make_app, size: str) -> None:
    async def before(pilot) -> None:
        snapdata.feed_run(pilot.app)
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_monochrome(
    snap_compare, settings, catalog: Catalog, monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    """NO_COLOR and ASCII graphs: states are words and marks, never colour alone."""
    monkeypatch.chdir(repo_root())
    monkeypatch.setenv("NO_COLOR", "1")
    app = ThtuiApp(settings, catalog, clock=lambda: FROZEN_NOW, live_monitor=False, ascii_only=True)

    async def before(pilot) -> None:
        snapdata.feed_monitor(pilot.app, n_gpus=1, with_jobs=True)
        snapdata.feed_run(pilot.app)
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZES[size], run_before=before)
