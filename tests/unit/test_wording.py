"""Counts read as English: "1 job", "2 jobs", never "1 jobs" or "job(s)"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from thtui.core.config import repo_root
from thtui.core.wording import plural


@pytest.mark.parametrize(
    ("n", "noun", "text"),
    [
        (0, "job", "0 jobs"),
        (1, "job", "1 job"),
        (2, "job", "2 jobs"),
        (1, "tile", "1 tile"),
        (3, "process", "3 processes"),
        (1, "process", "1 process"),
        (2, "patch", "2 patches"),
        (4, "GPU", "4 GPUs"),
        (2, "missing package", "2 missing packages"),
    ],
)
def test_plural(n: int, noun: str, text: str) -> None:
    assert plural(n, noun) == text


def test_no_count_is_printed_with_a_maybe_plural() -> None:
    """`N thing(s)` is gone from everything the CLI prints (thtui/cli and the core messages it shows)."""
    pattern = re.compile(r"\{[^}]+\} [a-z]+\((s|es)\)")
    offenders = []
    for path in sorted((repo_root() / "thtui").rglob("*.py")):
        if "tui" in path.relative_to(repo_root() / "thtui").parts[:1]:
            continue  # the CLI and core only (the TUI words its own counts)
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{Path(path).relative_to(repo_root())}:{i}: {line.strip()}")
    assert offenders == []
