"""What stops an install before any step runs: the same one line, with the next step, for the CLI and TUI."""

from __future__ import annotations

from collections.abc import Iterable

from thtui.core import tools
from thtui.core.config import Settings
from thtui.core.envs import NoEnvManager, require_env_manager
from thtui.core.setup.target import SetupTarget


def install_problem(settings: Settings, targets: Iterable[SetupTarget]) -> str | None:
    """No conda/mamba/micromamba, or no git while a target clones from upstream; None when all is there.
    Looks at PATH and the disk (call it off the UI thread). Nothing is recorded: the status stays."""
    from thtui.core.config import check_folders
    from thtui.core.paths_check import PathProblem

    try:  # a data root that is a file or read-only: one line, before any clone or env starts
        check_folders(settings, "data_root")
    except PathProblem as exc:
        return str(exc)
    try:
        require_env_manager(settings)
    except NoEnvManager as exc:
        return str(exc)
    if any(t.upstream for t in targets) and not tools.which("git").found:
        return "git is not installed; run `thtui bootstrap` (or apt install git)"
    return None


def gpu_required_note(name: str, gpu_required: bool, gpu_count: int) -> str | None:
    """Said before setup starts: a system with no CPU fallback installs fine on a machine without an
    NVIDIA GPU but cannot run there (its runs are refused before they start, see jobs/checks.py)."""
    if gpu_required and gpu_count == 0:
        return (
            f"{name} needs an NVIDIA GPU (it has no CPU fallback) and none is visible here: "
            "it will install, but it cannot run on this machine"
        )
    return None
