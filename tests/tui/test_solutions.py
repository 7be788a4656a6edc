"""Solutions screen: installs through the real setup engine (local git upstream, fake conda), with the
log and per-step progress streaming live; several at once; cancel; verify; uninstall after asking."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable
from tuilab import TuiLab, screen_text, upstream_catalog, use_fake_conda, wait_for

from thtui.core.install_status import solution_status
from thtui.tui.screens.confirm import ConfirmScreen
from thtui.tui.screens.log_file import LogFileScreen
from thtui.tui.widgets.log_view import LogView


@pytest.fixture
def setup_lab(lab: TuiLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TuiLab:
    use_fake_conda(tmp_path, monkeypatch)
    lab.catalog = upstream_catalog(tmp_path, ("standin", "standin2"))
    return lab


def status_cell(app, name: str) -> str:
    table = app.screen.query_one("#solutions", DataTable)
    return str(table.get_cell(name, "status"))


async def select(pilot, app, name: str) -> None:
    table = app.screen.query_one("#solutions", DataTable)
    table.move_cursor(row=table.get_row_index(name))
    await pilot.pause()


async def test_install_streams_steps_and_log(setup_lab: TuiLab) -> None:
    app = setup_lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: status_cell(app, "standin") == "not installed", 10, "status read")
        await select(pilot, app, "standin")
        shown: list[str] = []  # every status the table showed, in order
        app.installs_changed.subscribe(app.screen, lambda name: shown.append(status_cell(app, name)))
        await pilot.press("i")
        await wait_for(pilot, lambda: not app.installs["standin"].active, 120, "install finished")
        progress = app.installs["standin"]
        assert progress.ok, (progress.error, progress.log_path)
        assert {s.state for s in progress.steps} <= {"done", "skipped"}
        await wait_for(pilot, lambda: status_cell(app, "standin") == "ready", 10, "ready")
        assert any(s.startswith("installing ") and s.endswith("%") for s in shown), shown
        log = app.screen.query_one("#install-log", LogView)
        assert any("clone" in line for line in log.lines)
        text = screen_text(app)
        assert "✓ clone" in text and "✓ verify" in text
        assert solution_status(setup_lab.settings, setup_lab.catalog.get("standin")).state == "ready"
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogFileScreen), 5)
        await wait_for(
            pilot, lambda: any("[clone]" in line for line in app.screen.query_one(LogView).lines), 10
        )
        assert "finished: ready" in screen_text(app)  # the file's end is in view


async def test_two_installs_at_once_then_cancel_one(
    setup_lab: TuiLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CONDA_SLEEP", "30")  # env creation hangs until cancelled
    app = setup_lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: status_cell(app, "standin") == "not installed", 10)
        await select(pilot, app, "standin")
        await pilot.press("i")
        await select(pilot, app, "standin2")
        await pilot.press("i")
        both_in_env = lambda: all(  # noqa: E731
            (cur := app.installs[n].current) is not None and cur.name == "env"
            for n in ("standin", "standin2")
        )
        await wait_for(pilot, both_in_env, 60, "both installs in their env step")
        assert "2 busy" in screen_text(app) or "standin" in screen_text(app).splitlines()[0]
        await pilot.press("c")  # cancels the selected one: standin2
        await wait_for(pilot, lambda: not app.installs["standin2"].active, 30, "cancelled")
        assert app.installs["standin2"].label == "cancelled"
        assert app.installs["standin"].active  # the other goes on
        await select(pilot, app, "standin")
        await pilot.press("c")
        await wait_for(pilot, lambda: not app.installs["standin"].active, 30, "second cancelled")
        await wait_for(pilot, lambda: status_cell(app, "standin2") in ("partial", "not installed"), 10)


async def test_verify_then_uninstall_after_confirming(setup_lab: TuiLab) -> None:
    app = setup_lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: status_cell(app, "standin") == "not installed", 10)
        await select(pilot, app, "standin")
        await pilot.press("i")
        await wait_for(pilot, lambda: not app.installs["standin"].active, 120, "install")
        await pilot.press("v")
        await wait_for(
            pilot,
            lambda: app.installs["standin"].action == "verify" and not app.installs["standin"].active,
            60,
        )
        assert app.installs["standin"].ok
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5)
        await pilot.press("n")  # "no" keeps it
        await pilot.pause(0.2)
        assert app.installs["standin"].action == "verify"
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5)
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: app.installs["standin"].action == "uninstall" and not app.installs["standin"].active,
            30,
        )
        await wait_for(pilot, lambda: status_cell(app, "standin") == "not installed", 10)
        assert not (setup_lab.settings.envs_dir / "standin").exists()


async def test_install_without_conda_says_bootstrap_and_records_nothing(
    lab: TuiLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `thtui setup` does: no env manager -> one line naming `thtui bootstrap`, before any step; the
    solution stays "not installed" (never "broken" for an install that never started)."""
    lab.catalog = upstream_catalog(tmp_path, ("standin",))
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for var in ("THTUI_CONDA", "THTUI_ENV_BACKEND", "CONDA_EXE", "MAMBA_EXE"):
        monkeypatch.delenv(var, raising=False)
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: status_cell(app, "standin") == "not installed", 10, "status read")
        await select(pilot, app, "standin")
        await pilot.press("i")
        await wait_for(pilot, lambda: not app.installs["standin"].active, 30, "install refused")
        progress = app.installs["standin"]
        assert not progress.ok and "thtui bootstrap" in progress.error
        assert not any(s.state in ("running", "done", "failed") for s in progress.steps)
        assert any("cannot install: no conda" in str(n.message) for n in app._notifications)
        assert progress.label == "not started"
        await pilot.pause(0.2)
        assert status_cell(app, "standin") == "not installed"
        assert solution_status(lab.settings, lab.catalog.get("standin")).state == "not installed"
