"""Fixtures for compare/report tests: runs built in the store's format (see report_factory)."""

from __future__ import annotations

import pytest
from report_factory import JobSpec, make_run

from thtui.core.config import Settings


@pytest.fixture
def two_solution_run(settings: Settings) -> str:
    """alpha (2.0 s video), beta (1.2 s, shorter: must be held on its last frame), gamma failed."""
    run_id = "20260101-120000-ab12"
    make_run(
        settings,
        run_id,
        [
            JobSpec("alpha", 2.0, wall_s=4.0, vram_mb=3072),
            JobSpec("beta", 1.2, wall_s=2.0, vram_mb=1024),
            JobSpec("gamma", None, wall_s=0.5, vram_mb=None, energy_j=None),
        ],  # fmt: skip
    )
    return run_id
