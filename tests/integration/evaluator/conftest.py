"""Fixtures of the evaluator's tests: the setup lab (stand-in servers, fake conda) and an interpreter
with torch for the SyncNet checks."""

from __future__ import annotations

import sys
from pathlib import Path

from thtui.core.config import repo_root

sys.path.insert(0, str(repo_root() / "tests" / "integration" / "setup"))
from setuplab import lab  # noqa: E402,F401  (pytest fixture)

assert Path(repo_root() / "tests" / "integration" / "setup" / "setuplab.py").is_file()
