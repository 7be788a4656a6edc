"""Shared fixtures: every test gets its own data root and outputs dir; nothing touches ~/."""

from __future__ import annotations

from pathlib import Path

import pytest

from thtui.core.catalog import Catalog
from thtui.core.config import Settings, load_settings, repo_root

REPO = repo_root()


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    home = tmp_path / "home"
    outputs = tmp_path / "outputs"
    monkeypatch.setenv("THTUI_HOME", str(home))
    monkeypatch.setenv("THTUI_OUTPUTS", str(outputs))
    monkeypatch.setenv("THTUI_CONFIG", str(tmp_path / "no-config.yaml"))
    monkeypatch.delenv("THTUI_CONDA", raising=False)
    monkeypatch.delenv("THTUI_SOLUTIONS", raising=False)
    # Scoring each video costs seconds of CPU per job; tests of scores turn it back on (delenv).
    monkeypatch.setenv("THTUI_NO_SCORE", "1")
    return load_settings(cwd=tmp_path)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog.load(REPO / "solutions")
