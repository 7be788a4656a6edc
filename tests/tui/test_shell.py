"""The app shell: every screen one key away, help, command palette, quitting."""

from __future__ import annotations

from tuilab import TuiLab, screen_text, wait_for

from thtui.tui.screens.help import HelpScreen
from thtui.tui.screens.monitor import MonitorScreen
from thtui.tui.screens.results import ResultsScreen
from thtui.tui.screens.run import RunScreen
from thtui.tui.screens.solutions import SolutionsScreen


async def test_every_screen_is_one_key_away(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, SolutionsScreen)
        for key, screen in (
            ("2", RunScreen),
            ("3", MonitorScreen),
            ("4", ResultsScreen),
            ("1", SolutionsScreen),
        ):
            await pilot.press(key)
            await wait_for(
                pilot, lambda screen=screen: isinstance(app.screen, screen), 5, f"{screen.__name__}"
            )
            text = screen_text(app)
            assert "1 Solutions" in text and "4 Results" in text  # the nav bar names every screen's key
        footer = screen_text(app).splitlines()[-1]
        assert "Install" in footer and "Verify" in footer


async def test_help_lists_the_keys_of_the_screen(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), 5)
        text = screen_text(app)
        for words in ("Install", "Uninstall", "Verify", "Solutions", "Results", "Quit"):
            assert words in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SolutionsScreen), 5)
        await pilot.press("2", "question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), 5)
        assert "Start run" in screen_text(app)


async def test_command_palette_reaches_screens_and_actions(lab: TuiLab) -> None:
    from thtui.tui.commands import ThtuiCommands

    app = lab.app()
    async with app.run_test(size=(100, 30)) as pilot:
        provider = ThtuiCommands(app.screen)
        titles = [title for title, _help, _cb in provider.commands()]
        for expected in ("Go to Monitor", "Solutions: Install", "Run: Start run", "Results: Delete run",
                         "Monitor: Cancel job", "Install standin", "Verify standin", "Help"):  # fmt: skip
            assert expected in titles, expected
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"go to results")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), 5, "Results via the palette")


async def test_quit_when_idle_exits_at_once(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, 5, "exit")
