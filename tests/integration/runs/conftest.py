"""Fixtures of the runs engine's integration tests (helpers live in runlab.py)."""

from runlab import _inputs_fallback, lab  # noqa: F401  (pytest fixtures)
