"""The TUI papercuts a new user hit (issue 10): each test failed on the code before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_results import jobs_table, spec
from test_run import open_run
from textual.command import CommandPalette
from textual.widgets import Input
from tuilab import TuiLab, screen_text, upstream_catalog, wait_for

from thtui.tui.screens.confirm import ConfirmScreen
from thtui.tui.screens.log_file import LogFileScreen
from thtui.tui.screens.monitor import MonitorScreen
from thtui.tui.screens.rating import RatingScreen
from thtui.tui.screens.results import ResultsScreen
from thtui.tui.screens.solutions import SolutionsScreen


async def test_form_problems_clear_once_fixed_and_focus_goes_to_the_first(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_run(pilot, app)
        await pilot.press("right", "space")  # text -> speech, with no text typed
        await pilot.press("ctrl+r")
        await pilot.pause(0.1)
        assert "type the words to speak" in screen_text(app)
        assert "fix 1 problem above" in screen_text(app)
        # Focus leaves the mode toggle for the field to fix, so typing goes where the problem is.
        assert app.focused is screen.query_one("#text", Input)
        await pilot.press(*"hello")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "type the words to speak" not in text
        assert "problem" not in text  # no stale "fix 1 problem above"
        assert app.runs.runs == {}  # fixing is not starting


async def test_escape_leaves_a_text_box_so_keys_act_on_the_screen(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_run(pilot, app)
        timeout = screen.query_one("#timeout", Input)
        timeout.focus()
        await pilot.press(*"12")
        await pilot.press("escape")
        assert not isinstance(app.focused, Input)
        await pilot.press("1")  # a screen key now, not a digit typed into the box
        await wait_for(pilot, lambda: isinstance(app.screen, SolutionsScreen), 5, "Solutions")
        assert timeout.value == "12"


async def test_cancel_asks_first_and_a_cancelled_job_has_no_rtf(
    lab: TuiLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab.install("standin")
    monkeypatch.setenv("STANDIN_DELAY", "60")
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        key = app.start_run(spec("standin"))
        await wait_for(pilot, lambda: any(j.state == "running" for j in app.runs.jobs.values()), 30)
        await pilot.pause(1.0)  # some partial time to (wrongly) divide by the audio length
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), 5)
        await wait_for(pilot, lambda: app.screen.selected_job is not None, 5)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "a question first")
        assert app.runs.runs[key].active  # nothing cancelled yet
        await pilot.press("n")
        await pilot.pause(0.3)
        assert app.runs.runs[key].active
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5)
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.runs.runs[key].active, 30, "cancelled")
        await pilot.press("4")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), 5)
        await wait_for(pilot, lambda: jobs_table(app).row_count == 1, 30, "the job listed")
        table = jobs_table(app)
        row = table.get_row_at(0)
        assert str(row[3]) == "cancelled"
        assert str(row[5]) == "—"  # RTF: absent for a job that did not finish, not partial time / audio


async def test_rating_form_says_a_digit_scores_and_moves_on(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(RatingScreen("run-x/static", "static · case 0 · r1"))
        await wait_for(pilot, lambda: isinstance(app.screen, RatingScreen), 5)
        await pilot.pause(0.3)
        assert "score it and move to the next" in screen_text(app)


@pytest.mark.parametrize("width", [80, 100])
async def test_the_key_bar_keeps_quit_and_resume_visible(lab: TuiLab, width: int) -> None:
    app = lab.app()
    async with app.run_test(size=(width, 24)) as pilot:
        for key in "1234":
            await pilot.press(key)
            await pilot.pause(0.2)
            bar = screen_text(app).splitlines()[-1]
            assert ("^q Quit" if key == "2" else "q Quit") in bar, (key, bar)  # on the form q is a letter
            if key == "4":
                assert "R Resume" in bar, bar


async def test_a_long_log_line_wraps(lab: TuiLab, tmp_path: Path) -> None:
    log = tmp_path / "long.log"
    log.write_text("start " + "x" * 150 + " THE-END\n")
    app = lab.app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(LogFileScreen("a long line", str(log)))
        await wait_for(pilot, lambda: "start" in screen_text(app), 10, "log shown")
        assert "THE-END" in screen_text(app)  # not cut off at the right edge


async def test_a_refused_install_log_is_what_l_shows(
    lab: TuiLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab.catalog = upstream_catalog(tmp_path, ("standin",))
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for var in ("THTUI_CONDA", "THTUI_ENV_BACKEND", "CONDA_EXE", "MAMBA_EXE"):
        monkeypatch.delenv(var, raising=False)
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one("#solutions")
        await wait_for(pilot, lambda: "standin" in table.rows, 10, "listed")
        table.move_cursor(row=table.get_row_index("standin"))
        await pilot.press("i")
        await wait_for(pilot, lambda: not app.installs["standin"].active, 30, "install refused")
        assert any("see its log" in str(n.message) for n in app._notifications)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LogFileScreen), 5)
        await wait_for(pilot, lambda: "bootstrap" in screen_text(app), 10, "the refusal shown")
        assert "no log file found" not in screen_text(app)


async def test_tts_preview_says_where_its_wav_is(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_run(pilot, app)
        await pilot.press("right", "space")
        screen.query_one("#text", Input).value = "Where is my file?"
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "s of speech by piper" in screen_text(app), 60, "TTS preview")
        assert ".wav" in screen_text(app)


async def test_the_palette_has_one_quit(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), 5)
        await pilot.press(*"quit")
        await pilot.pause(0.5)
        titles = [line.strip() for line in screen_text(app).splitlines()]
        assert sum(1 for t in titles if t.strip("▌▐ ") == "Quit") == 1, titles  # a title line, not help


async def test_a_too_small_terminal_says_so(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause(0.2)
        assert "terminal too small" in screen_text(app)
        assert "80×24" in screen_text(app)
    app = lab.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        assert "too small" not in screen_text(app)
