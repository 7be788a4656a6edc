"""Shared by the Run form's reference and cluster tests (test_run_reference.py, test_run_cluster.py)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import SelectionList, Static
from tuilab import screen_text, wait_for

from thtui.core.config import Settings
from thtui.tui.screens.file_picker import FilePickerScreen
from thtui.tui.screens.run import RunScreen

SIZES = {"80x24": (80, 24), "160x48": (160, 48)}


def run_folders(settings: Settings) -> list[Path]:
    out = settings.outputs_dir
    return [p for p in out.iterdir() if p.is_dir()] if out.exists() else []


async def open_run_form(pilot, app) -> RunScreen:
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), 5, "Run screen")
    screen = app.screen
    await wait_for(pilot, lambda: screen.query_one(SelectionList).option_count > 0, 10, "solutions listed")
    return screen


async def reference_mode(pilot, screen: RunScreen) -> None:
    screen.query_one("#mode").focus()
    await pilot.press("right", "right", "space")  # audio files -> text -> reference videos
    await wait_for(pilot, lambda: screen.values.mode == "reference", 5, "reference mode")
    assert shown(screen, "#pick-references")
    assert "^o References" in screen_text(screen.app).splitlines()[-1]  # the key bar: ctrl+o picks them now
    assert not any(shown(screen, f"#{name}") for name in ("pick-images", "pick-videos", "pick-audio", "text"))


def shown(screen: RunScreen, selector: str) -> bool:
    widget = screen.query_one(selector)
    return all(node.display for node in widget.ancestors_with_self if node is not screen.app)


async def pick(pilot, app, path: Path, key: str = "enter") -> None:
    await pilot.press("ctrl+o")  # in reference mode, ctrl+o picks references
    await wait_for(pilot, lambda: isinstance(app.screen, FilePickerScreen), 5, "picker")
    assert app.screen.folders  # a folder of references may be picked too
    await pilot.press("ctrl+l", "ctrl+u", *str(path), key)
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), 5, "picker closed")


def line(screen: RunScreen, selector: str) -> str:
    return " ".join(str(screen.query_one(selector, Static).render()).split())


async def checked(pilot, screen: RunScreen) -> None:
    await wait_for(pilot, lambda: not screen._refs_pending, 30, "references checked")


async def settle(pilot) -> None:
    """Wait for our own workers (DirectoryTree keeps a loader worker alive: not that one), as test_snapshots."""
    from textual.widgets import DirectoryTree

    for _ in range(2):
        ours = [w for w in pilot.app.workers if not isinstance(w.node, DirectoryTree) and not w.is_finished]
        if ours:
            await pilot.app.workers.wait_for_complete(ours)
        await pilot.pause(0.1)
