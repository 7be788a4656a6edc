"""Small helpers for the words thtui prints: counts with the right plural ("1 job", "2 jobs")."""

from __future__ import annotations

_IRREGULAR = {"process": "processes", "patch": "patches", "GPU": "GPUs", "this": "these"}


def plural(n: int, noun: str, many: str | None = None) -> str:
    """`n` and the noun, singular for exactly one: plural(1, "job") == "1 job", plural(3, "patch") ==
    "3 patches". `many` overrides the plural form."""
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {many or _IRREGULAR.get(noun) or noun + 's'}"
