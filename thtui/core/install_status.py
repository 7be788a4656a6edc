"""Install status of a solution, derived from the setup engine's record (never stored separately).

    not installed   no record (or nothing finished yet)
    partial         some steps finished; `step` is the next one (also while a setup is running)
    ready           every step finished with the current manifest
    broken          the last setup failed: `step`, the first error line (`detail`) and the `log`
    outdated        installed, but the manifest changed since: `detail` lists the steps that will rerun

Cheap on purpose (`thtui list` calls it for every row): reads one JSON file and stats a couple of paths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from thtui.core.catalog import LoadedSolution
from thtui.core.config import Settings

if TYPE_CHECKING:
    from thtui.core.setup.target import SetupTarget

State = Literal["not installed", "partial", "ready", "broken", "outdated"]


@dataclass(frozen=True)
class InstallStatus:
    state: State
    detail: str = ""
    step: str | None = None
    log: str | None = None


def record_path(settings: Settings, name: str) -> Path:
    return settings.state_dir / f"{name}.json"


def solution_status(settings: Settings, loaded: LoadedSolution) -> InstallStatus:
    if loaded.solution.kind == "builtin":
        return InstallStatus("ready", "built in")
    from thtui.core.setup.target import target_of

    return target_status(settings, target_of(loaded))


def target_status(settings: Settings, target: SetupTarget, *, check_running: bool = True) -> InstallStatus:
    """`check_running=False` is for the setup engine itself, which holds the lock while it reports."""
    from thtui.core.plan import env_prefix
    from thtui.core.setup.record import holder
    from thtui.core.setup.target import STEPS

    path = record_path(settings, target.name)
    try:
        record = json.loads(path.read_text())
    except FileNotFoundError:
        return InstallStatus("not installed")
    except NotADirectoryError:  # THTUI_HOME (or a folder under it) is a file: nothing is installed there
        return InstallStatus("not installed", f"data root {settings.data_root} is not a usable folder")
    except (OSError, ValueError) as exc:
        return InstallStatus("broken", f"unreadable install record {path}: {exc}")
    log = record.get("log")
    running = holder(settings, target.name) if check_running else None
    done = record.get("steps") or {}
    nxt = next((s for s in STEPS if s not in done), None)
    if running:
        return InstallStatus("partial", f"setup running ({running}); next: {nxt or 'finishing'}", nxt, log)
    failed = record.get("failed")
    if failed:
        return InstallStatus("broken", failed.get("error", ""), failed.get("step"), failed.get("log") or log)
    if not done:
        return InstallStatus("not installed", log=log)
    if not record.get("complete") or nxt:
        return InstallStatus("partial", f"{len(done)}/{len(STEPS)} steps done; next: {nxt}", nxt, log)
    fps = target.fingerprints()
    changed = [s for s in STEPS if (done.get(s) or {}).get("fingerprint") != fps[s]]
    if changed:
        return InstallStatus(
            "outdated",
            f"manifest changed since install; setup will redo: {', '.join(changed)}",
            changed[0],
            log,
        )
    prefix = env_prefix(settings, target.name)
    if not (prefix / "bin" / "python").exists():
        return InstallStatus("broken", f"the env {prefix} is gone; run setup again", "env", log)
    return InstallStatus("ready", log=log)
