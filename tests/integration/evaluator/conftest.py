"""Fixtures of the evaluator's tests: the setup lab (stand-in servers, fake conda) and an interpreter
with torch for the SyncNet checks."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from thtui.core.config import repo_root

sys.path.insert(0, str(repo_root() / "tests" / "integration" / "setup"))
from setuplab import lab  # noqa: E402,F401  (pytest fixture)

assert Path(repo_root() / "tests" / "integration" / "setup" / "setuplab.py").is_file()

TORCH_SKIP = (
    "no interpreter with torch: set THTUI_TORCH_PYTHON (e.g. <envs>/evaluator/bin/python after "
    "`thtui setup evaluator`); torch is not a test extra because PyPI's wheel pulls ~3 GB of CUDA libraries"
)


@pytest.fixture(scope="session")
def torch_python() -> str:
    """A python with torch for the evaluator's torch tests (SyncNet, perceptual, FVD), or a skip."""
    given = os.environ.get("THTUI_TORCH_PYTHON")
    if given:
        return given
    if importlib.util.find_spec("torch") is not None:
        return sys.executable
    pytest.skip(TORCH_SKIP)
