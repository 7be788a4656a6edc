"""The Solutions table with the whole catalog (15 systems and counting) at 80x24: every system reachable by
scrolling, and the filters G (fits this GPU), C (commercial use) and I (installed), which keep the same
systems as `thtui list --fits-gpu/--commercial/--installed` (one core filter, thtui.core.catalog.filters)."""

from __future__ import annotations

import json

from stand_ins.installed import install_as_setup_leaves
from textual.widgets import DataTable, Static
from tuilab import STANDIN, screen_text, wait_for

from thtui.cli import main
from thtui.core.catalog import Catalog
from thtui.core.catalog.filters import GB, CatalogFilter, keep
from thtui.core.config import Settings, repo_root
from thtui.core.monitor import GpuReading, HostReading, MonitorSnapshot
from thtui.tui.app import ThtuiApp
from thtui.tui.messages import MonitorSampled

GiB = 1024**3


def _snapshot(*totals_gib: float) -> MonitorSnapshot:
    gpus = tuple(
        GpuReading(i, "Fake GPU", 0.0, int(0.4 * GiB), int(t * GiB), 30.0, 50.0, None)
        for i, t in enumerate(totals_gib)
    )
    host = HostReading(cpu_pct=5.0, cpu_count=8, ram_used=4 * GiB, ram_total=32 * GiB)
    return MonitorSnapshot(t=0.0, gpus=gpus, host=host, jobs=())


def _app(settings: Settings, catalog: Catalog) -> ThtuiApp:
    return ThtuiApp(settings, catalog, live_monitor=False, ascii_only=False)


def _table(app: ThtuiApp) -> DataTable:
    return app.screen.query_one("#solutions", DataTable)


def _names(app: ThtuiApp) -> list[str]:
    table = _table(app)
    return [str(table.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(table.row_count)]


async def _ready(pilot, app: ThtuiApp) -> None:
    await wait_for(pilot, lambda: "ready" in str(_table(app).get_cell("static", "status")), 10, "states read")


async def test_every_system_is_reachable_at_80x24(settings: Settings, catalog: Catalog) -> None:
    assert len(catalog) >= 15
    app = _app(settings, catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(pilot, app)
        table = _table(app)
        assert table.row_count == len(catalog) and table.border_title == f"{len(catalog)} systems"
        last = catalog.names()[-1]
        assert last not in screen_text(app), "15 rows do not fit 24 lines: the last is below the fold"
        for _ in range(len(catalog)):
            await pilot.press("down")
        await pilot.pause(0.1)
        assert str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value) == last
        assert last in screen_text(app), "scrolled into view"
        assert catalog.get(last).solution.title in str(
            app.screen.query_one("#solution-info", Static).render()
        )


async def test_filters_keep_what_the_core_filter_keeps(settings: Settings, catalog: Catalog) -> None:
    install_as_setup_leaves(settings, catalog.get("musetalk"), STANDIN / "repo")
    app = _app(settings, catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        app.post_message(MonitorSampled(_snapshot(24, 12)))  # the largest board: 24 GiB
        await _ready(pilot, app)
        await pilot.press("G")
        gpu = 24 * GiB
        fits = [
            n
            for n in catalog.names()
            if keep(catalog.get(n), "", CatalogFilter(fits_gpu=True, gpu_bytes=gpu))
        ]
        assert _names(app) == fits and "infinitetalk" not in fits and "musetalk" in fits
        title = _table(app).border_title
        assert title == f"{len(fits)} of {len(catalog)} systems: fits {gpu / GB:.0f} GB"
        assert str(_table(app).border_subtitle).startswith("[reverse]G fits 26 GB[/")

        await pilot.press("G", "C")
        commercial = [n for n in catalog.names() if catalog.get(n).solution.license.commercial == "yes"]
        assert _names(app) == commercial and "sonic" not in commercial

        await pilot.press("I")  # commercial and installed: musetalk (set up) and the builtin baseline
        shown = _names(app)
        assert "musetalk" in shown and "static" in shown and "sadtalker" not in shown


async def test_same_systems_as_thtui_list(settings: Settings, catalog: Catalog, capsys, monkeypatch) -> None:
    monkeypatch.setenv("THTUI_SOLUTIONS", str(repo_root() / "solutions"))
    install_as_setup_leaves(settings, catalog.get("musetalk"), STANDIN / "repo")
    assert main(["list", "--commercial", "--installed", "--json"]) == 0
    cli = [r["name"] for r in json.loads(capsys.readouterr().out)]
    app = _app(settings, catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(pilot, app)
        await pilot.press("C", "I")
        await wait_for(pilot, lambda: _names(app) == cli, 5, f"table {_names(app)} == list {cli}")
        assert "musetalk" in cli


async def test_nothing_matches_says_so(settings: Settings, catalog: Catalog) -> None:
    only_nc = Catalog([catalog.get("sonic"), catalog.get("float")])  # both non-commercial
    app = _app(settings, only_nc)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "not installed" in str(_table(app).get_cell("sonic", "status")), 10)
        await pilot.press("C")
        assert _table(app).row_count == 0
        assert _table(app).border_title == "0 of 2 systems: commercial use"
        await pilot.pause(0.1)
        info = str(app.screen.query_one("#solution-info", Static).render())
        assert info.startswith("No system matches: commercial use.") and "No system matches" in screen_text(
            app
        )
        await pilot.press("C")
        assert _names(app) == ["float", "sonic"] or _names(app) == ["sonic", "float"]
        assert "FLOAT" in str(app.screen.query_one("#solution-info", Static).render()), "the first row again"


async def test_gpu_filter_without_any_gpu_keeps_the_cpu_systems(settings: Settings, catalog: Catalog) -> None:
    app = _app(settings, catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(pilot, app)
        await pilot.press("G")
        shown = _names(app)
        assert shown and all(not catalog.get(n).solution.needs_gpu for n in shown)
        assert _table(app).border_title.endswith("needs no GPU")


async def test_filter_keys_are_listed_in_help(settings: Settings, catalog: Catalog) -> None:
    app = _app(settings, catalog)
    async with app.run_test(size=(100, 40)) as pilot:
        await _ready(pilot, app)
        await pilot.press("f1")
        await pilot.pause(0.2)
        text = screen_text(app)
        assert (
            "Filter: fits this GPU" in text
            and "Filter: commercial use" in text
            and "Filter: installed" in text
        )


async def test_multi_gpu_system_shows_its_gpus(settings: Settings, catalog: Catalog) -> None:
    from thtui.core.catalog.loader import load_manifest

    wide = load_manifest(
        repo_root() / "tests" / "fixtures" / "manifests" / "good_multi_gpu" / "solution.yaml"
    )
    app = _app(settings, Catalog([wide, catalog.get("static")]))
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(pilot, app)
        assert str(_table(app).get_cell("good_multi_gpu", "vram")) == "2×60G"
        about = str(app.screen.query_one("#solution-about", Static).render())
        assert "needs ~60 GB VRAM on each of 2 GPUs (one job holds them together)" in about


async def test_side_panel_names_cuda_extensions(settings: Settings, catalog: Catalog) -> None:
    app = _app(settings, catalog)
    async with app.run_test(size=(80, 24)) as pilot:
        await _ready(pilot, app)
        table = _table(app)
        table.move_cursor(row=table.get_row_index("liveavatar"))
        await pilot.pause(0.1)
        about = str(app.screen.query_one("#solution-about", Static).render())
        assert (
            "CUDA extensions: flash-attn==2.8.3, flash_attn_3 (optional) (thtui doctor: wheel or build)"
            in about
        )
        table.move_cursor(row=table.get_row_index("sadtalker"))
        await pilot.pause(0.1)
        assert "CUDA extensions" not in str(app.screen.query_one("#solution-about", Static).render())
