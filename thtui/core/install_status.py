"""Install status of a solution, derived from the setup engine's record (never stored separately).

The setup engine (thtui.core.setup) owns the record format; this module only reads it, so `thtui list`
stays cheap (no env or GPU probing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from thtui.core.catalog import LoadedSolution
from thtui.core.config import Settings

State = Literal["not installed", "partial", "ready", "broken", "outdated"]


@dataclass(frozen=True)
class InstallStatus:
    state: State
    detail: str = ""
    step: str | None = None
    log: str | None = None


def record_path(settings: Settings, name: str):
    return settings.state_dir / f"{name}.json"


def solution_status(settings: Settings, loaded: LoadedSolution) -> InstallStatus:
    if loaded.solution.kind == "builtin":
        return InstallStatus("ready", "built in")
    path = record_path(settings, loaded.name)
    if not path.exists():
        return InstallStatus("not installed")
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        return InstallStatus("broken", f"unreadable install record {path}: {exc}")
    failed = record.get("failed")
    if failed:
        return InstallStatus("broken", failed.get("error", ""), failed.get("step"), failed.get("log"))
    if not record.get("complete"):
        done = record.get("steps", {})
        last = list(done)[-1] if done else None
        return InstallStatus("partial", f"last finished step: {last or 'none'}", last)
    if record.get("manifest_digest") != loaded.digest:
        return InstallStatus("outdated", "manifest changed since install; run setup again")
    return InstallStatus("ready")
