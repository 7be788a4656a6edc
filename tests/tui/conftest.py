"""Fixtures of the TUI tests. Every test gets tmp data roots (the `settings` fixture), the stand-in solution
and the fake GPU; nothing it starts outlives it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from textual.widgets import Input

sys.path.insert(0, str(Path(__file__).parent))
from processes import kill_leftovers  # noqa: E402
from tuilab import TuiLab, make_lab  # noqa: E402


@pytest.fixture(autouse=True)
def _steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    # A blinking cursor makes screenshots depend on timing (harlequin does the same).
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture
def lab(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    lab: TuiLab = make_lab(settings, tmp_path, monkeypatch)
    yield lab
    kill_leftovers(lab.child_pids())
