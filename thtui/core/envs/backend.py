"""Find the env manager and build its command lines. Pure except for looking at PATH and the disk."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from thtui.core.config import Settings

Kind = Literal["conda", "mamba", "micromamba"]
BACKEND_NAMES: tuple[Kind, ...] = ("mamba", "micromamba", "conda")  # auto order: fastest first
# Only conda-forge: Anaconda's default channels demand a ToS acceptance and would stop an unattended setup.
CHANNEL_ARGS = ["--override-channels", "-c", "conda-forge"]


class NoEnvManager(RuntimeError):
    """No conda/mamba/micromamba. The message is one line and names the next step."""

    def __init__(self, settings: Settings, detail: str = ""):
        why = detail or "no conda, mamba or micromamba found"
        super().__init__(
            f"{why}; run `thtui bootstrap` to install Miniforge under {settings.data_root / 'miniforge'} "
            "(or point THTUI_CONDA / --conda at an existing conda, mamba or micromamba)"
        )


@dataclass(frozen=True)
class EnvManager:
    kind: Kind
    exe: str
    origin: str  # "configured (flag --conda)", "PATH", "thtui bootstrap (Miniforge)", ...

    def create_argv(self, prefix: Path, python: str, packages: list[str]) -> list[str]:
        # `pip` explicitly: requirements are installed with the env's own pip when uv is absent.
        return [
            self.exe,
            "create",
            "-p",
            str(prefix),
            "--yes",
            *CHANNEL_ARGS,
            f"python={python}",
            "pip",
            *packages,
        ]

    def install_argv(self, prefix: Path, packages: list[str]) -> list[str]:
        return [self.exe, "install", "-p", str(prefix), "--yes", *CHANNEL_ARGS, *packages]

    def environ(self, settings: Settings) -> dict[str, str]:
        """Variables the manager itself needs; micromamba wants a root prefix for its package cache."""
        if self.kind == "micromamba" and not os.environ.get("MAMBA_ROOT_PREFIX"):
            return {"MAMBA_ROOT_PREFIX": str(settings.data_root / "micromamba")}
        return {}


def _kind_of(exe: str) -> Kind:
    name = Path(exe).name.lower()
    for kind in ("micromamba", "mamba", "conda"):
        if name.startswith(kind):
            return kind  # type: ignore[return-value]
    return "conda"


def _executable(path: str | Path) -> str | None:
    p = Path(path)
    return str(p) if p.is_file() and os.access(p, os.X_OK) else None


def _candidates(settings: Settings, names: tuple[Kind, ...]) -> list[tuple[str, str]]:
    """(path, origin) in preference order: PATH, conda's own variables, Miniforge from bootstrap, usual homes."""
    out: list[tuple[str, str]] = [(shutil.which(n) or "", "PATH") for n in names]
    for var in ("MAMBA_EXE", "CONDA_EXE"):  # set by an activated shell even when not on PATH
        if os.environ.get(var) and _kind_of(os.environ[var]) in names:
            out.append((os.environ[var], f"env {var}"))
    homes = [
        (settings.data_root / "miniforge", "thtui bootstrap (Miniforge)"),
        (Path.home() / "miniforge3", "~/miniforge3"),
        (Path.home() / "mambaforge", "~/mambaforge"),
        (Path.home() / "miniconda3", "~/miniconda3"),
        (Path.home() / "anaconda3", "~/anaconda3"),
        (Path("/opt/conda"), "/opt/conda"),
    ]
    for home, origin in homes:
        out += [(str(home / "bin" / n), origin) for n in names]
    return [(p, o) for p, o in out if p]


def detect_env_manager(settings: Settings) -> EnvManager | None:
    """The configured manager (settings.conda_exe, settings.env_backend) or the first one found."""
    if settings.conda_exe:
        exe = shutil.which(settings.conda_exe) or _executable(Path(settings.conda_exe).expanduser())
        if not exe:
            return None
        kind = settings.env_backend if settings.env_backend != "auto" else _kind_of(exe)
        return EnvManager(
            kind, exe, f"configured ({settings.provenance.get('conda_exe', 'setting conda_exe')})"
        )
    names: tuple[Kind, ...] = BACKEND_NAMES if settings.env_backend == "auto" else (settings.env_backend,)  # type: ignore[assignment]
    for path, origin in _candidates(settings, names):
        exe = _executable(path)
        if exe:
            return EnvManager(_kind_of(exe), exe, origin)
    return None


def require_env_manager(settings: Settings) -> EnvManager:
    mgr = detect_env_manager(settings)
    if mgr is None:
        detail = ""
        if settings.conda_exe:
            detail = f"the configured env manager {settings.conda_exe!r} does not exist"
        elif settings.env_backend != "auto":
            detail = f"env_backend={settings.env_backend} but no {settings.env_backend} was found"
        raise NoEnvManager(settings, detail)
    return mgr
