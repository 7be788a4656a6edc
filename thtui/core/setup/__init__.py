"""Setup engine: resumable, logged, one-command installs of every system into its own conda env.

Public API (the CLI and the TUI use only this):

    install(settings, solution, sink, *, cancel=None, gpu=None, wait=False, force=False) -> InstallResult
    verify(settings, solution, sink, *, cancel=None, gpu=None, rehash=False) -> InstallResult
    uninstall(settings, solution, sink) -> UninstallResult
    install_problem(settings, targets) -> str | None   what stops an install before any step (one line)
    solution_status(settings, loaded) / target_status(settings, target) -> InstallStatus
    coqui_target() -> SetupTarget;  coqui_env(settings) -> CoquiEnv (python path, readiness, environ)

`solution` is a LoadedSolution from the catalog or a SetupTarget (Coqui TTS). Progress arrives as the
events of thtui.core.setup.events (see its docstring); `cancel` stops at the next safe point, keeping
finished steps and partial downloads. Expected failures never raise: they are in the result.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Lazy exports (PEP 562): `thtui list` reads install status through thtui.core.setup.target, which must
# not load the whole engine (downloads, envs, verify) at start-up (issue 10's start-up budget).
_EXPORTS = {
    "InstallStatus": "thtui.core.install_status", "solution_status": "thtui.core.install_status",
    "target_status": "thtui.core.install_status",
    "COQUI": "coqui", "CoquiEnv": "coqui", "coqui_env": "coqui", "coqui_target": "coqui",
    "STEP_LIST": "engine", "InstallResult": "engine", "install": "engine", "verify": "engine",
    "Kept": "events", "LogLine": "events", "Removed": "events", "SetupEvent": "events",
    "SetupFinished": "events", "SetupStarted": "events", "StepFailed": "events", "StepFinished": "events",
    "StepNote": "events", "StepProgress": "events", "StepSkipped": "events", "StepStarted": "events",
    "WaitingForLock": "events",
    "install_problem": "preflight",
    "STEPS": "target", "SetupTarget": "target", "target_of": "target",
    "UninstallResult": "uninstall", "uninstall": "uninstall",
}  # fmt: skip

if TYPE_CHECKING:
    from thtui.core.install_status import InstallStatus, solution_status, target_status
    from thtui.core.setup.coqui import COQUI, CoquiEnv, coqui_env, coqui_target
    from thtui.core.setup.engine import STEP_LIST, InstallResult, install, verify
    from thtui.core.setup.events import (
        Kept,
        LogLine,
        Removed,
        SetupEvent,
        SetupFinished,
        SetupStarted,
        StepFailed,
        StepFinished,
        StepNote,
        StepProgress,
        StepSkipped,
        StepStarted,
        WaitingForLock,
    )
    from thtui.core.setup.preflight import install_problem
    from thtui.core.setup.target import STEPS, SetupTarget, target_of
    from thtui.core.setup.uninstall import UninstallResult, uninstall

__all__ = [
    "COQUI",
    "STEPS",
    "STEP_LIST",
    "CoquiEnv",
    "InstallResult",
    "InstallStatus",
    "Kept",
    "LogLine",
    "Removed",
    "SetupEvent",
    "SetupFinished",
    "SetupStarted",
    "SetupTarget",
    "StepFailed",
    "StepFinished",
    "StepNote",
    "StepProgress",
    "StepSkipped",
    "StepStarted",
    "UninstallResult",
    "WaitingForLock",
    "coqui_env",
    "coqui_target",
    "install",
    "install_problem",
    "solution_status",
    "target_of",
    "target_status",
    "uninstall",
    "verify",
]
assert sorted(__all__) == sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    full = module if module.startswith("thtui.") else f"{__name__}.{module}"
    loaded = importlib.import_module(full)
    # Bind every export of that submodule at once: loading `thtui.core.setup.uninstall` makes the import
    # system set this package's `uninstall` attribute to the submodule, which must read as the function.
    for export, source in _EXPORTS.items():
        if source == module:
            globals()[export] = getattr(loaded, export)
    return globals()[name]
