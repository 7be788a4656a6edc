"""Fixtures of the setup engine's integration tests (the lab lives in setuplab.py)."""

from setuplab import lab  # noqa: F401  (pytest fixture)
