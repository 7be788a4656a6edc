"""Fixtures of the runs engine's integration tests (helpers live in runlab.py)."""

from runlab import lab  # noqa: F401  (a pytest fixture)
