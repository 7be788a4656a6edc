"""Human-readable numbers and paths for the screens. Pure functions: no Textual, no I/O."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path


def size_bytes(n: float | None) -> str:
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "—"
    for unit in ("B", "K", "M", "G", "T"):
        if abs(n) < 1024 or unit == "T":
            return f"{n:.0f}{unit}" if unit in ("B", "K") or abs(n) >= 100 else f"{n:.1f}{unit}"
        n /= 1024
    return f"{n:.1f}T"


def mib(n: float | None) -> str:
    """MiB in the units nvidia-smi users expect."""
    if n is None:
        return "—"
    return f"{n / 1024:.1f}G" if n >= 1024 else f"{n:.0f}M"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds), 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def number(value: object, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        if abs(value) >= 10**digits:  # never an exponent in a table: 1800 J, not 1.8e+03
            return f"{value:.0f}"
        return f"{value:.{digits}g}"
    return str(value)


def short_path(path: str | Path | None, bases: Iterable[Path] = ()) -> str:
    """Relative to the working directory (or one of `bases`, shown by name) when inside it, `~` for home.

    Screens show paths this way so they stay readable at 80 columns and stable across machines."""
    if path is None:
        return "—"
    p = Path(path)
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        pass
    for base in bases:
        try:
            return str(Path(base.name) / p.relative_to(base))
        except ValueError:
            continue
    home = os.path.expanduser("~")
    s = str(p)
    if home not in ("", "/") and s.startswith(home + os.sep):
        return "~" + s[len(home) :]
    return s


def ellipsize(text: str, width: int) -> str:
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
