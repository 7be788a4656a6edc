"""Find the env manager and build its command lines. Pure except for looking at PATH and the disk.

Backends: conda, mamba, micromamba (prefix envs from conda-forge), and uv (`uv venv` with a Python found
on the machine, requirements through `uv pip`). uv cannot install conda-only packages; the one manifests
use, ffmpeg, is served by thtui's own ffmpeg linked into the env's bin/ (see steps_env).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from thtui.core.config import Settings

Kind = Literal["conda", "mamba", "micromamba", "uv"]
CondaKind = Literal["conda", "mamba", "micromamba"]
BACKEND_NAMES: tuple[CondaKind, ...] = ("mamba", "micromamba", "conda")  # auto order: fastest first
# Conda-only packages the uv backend can still provide, and how (see steps_env.serve_conda_packages).
UV_SERVES = {"ffmpeg": "thtui's ffmpeg (imageio-ffmpeg) linked into the env"}
# Only conda-forge: Anaconda's default channels demand a ToS acceptance and would stop an unattended setup.
CHANNEL_ARGS = ["--override-channels", "-c", "conda-forge"]


class NoEnvManager(RuntimeError):
    """No conda/mamba/micromamba. The message is one line and names the next step."""

    def __init__(self, settings: Settings, detail: str = ""):
        why = detail or "no conda, mamba, micromamba or uv found"
        super().__init__(
            f"{why}; run `thtui bootstrap` to install Miniforge under {settings.data_root / 'miniforge'} "
            "(or point THTUI_CONDA / --conda at an existing conda, mamba or micromamba)"
        )


@dataclass(frozen=True)
class EnvManager:
    kind: Kind
    exe: str
    origin: str  # "configured (flag --conda)", "PATH", "thtui bootstrap (Miniforge)", ...

    @property
    def is_uv(self) -> bool:
        return self.kind == "uv"

    def create_argv(self, prefix: Path, python: str, packages: list[str]) -> list[str]:
        if self.is_uv:
            # conda packages are not uv's: steps_env serves them (UV_SERVES) or refuses the manifest.
            return [self.exe, "venv", "--no-project", "--python", find_python(python) or python, str(prefix)]
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
        if self.is_uv:
            raise ValueError("the uv backend installs no conda packages")
        return [self.exe, "install", "-p", str(prefix), "--yes", *CHANNEL_ARGS, *packages]

    def environ(self, settings: Settings) -> dict[str, str]:
        """Variables the manager itself needs; micromamba wants a root prefix for its package cache."""
        if self.kind == "micromamba" and not os.environ.get("MAMBA_ROOT_PREFIX"):
            return {"MAMBA_ROOT_PREFIX": str(settings.data_root / "micromamba")}
        return {}


def find_python(version: str) -> str | None:
    """An interpreter of this X.Y on the machine: pyenv's versions first (their shims may point at another
    version), then pythonX.Y on PATH. None lets `uv venv --python X.Y` search (and maybe download) itself."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    found = sorted(
        root.glob(f"versions/{version}.*/bin/python{version}"), key=lambda p: _patch_level(p, version)
    )
    for path in reversed(found):
        if _executable(path):
            return str(path)
    on_path = shutil.which(f"python{version}")
    if on_path and ".pyenv/shims" not in on_path:
        return on_path
    return None


def _patch_level(path: Path, version: str) -> int:
    tail = path.parent.parent.name.removeprefix(version + ".")
    return int(tail) if tail.isdigit() else -1


def _uv_manager(origin: str = "") -> EnvManager | None:
    """Configured (origin given): uv on PATH or beside thtui's Python. Automatic: only a uv the user put on
    PATH (the one pip puts beside thtui's Python is the requirements installer, not a choice of backend),
    and only while uv is allowed as the installer (THTUI_INSTALLER=pip rules it out for both)."""
    from thtui.core.envs.runtime import find_uv, pick_installer

    uv = find_uv() if origin else (shutil.which("uv") if pick_installer()[0] == "uv" else None)
    return (
        EnvManager("uv", uv, origin or ("PATH" if shutil.which("uv") else "beside thtui's Python"))
        if uv
        else None
    )


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
    """The configured manager (settings.conda_exe, settings.env_backend) or the first one found: a conda
    family manager first, else uv when no conda exists but uv does."""
    if settings.env_backend == "uv":
        return _uv_manager(f"configured ({settings.provenance.get('env_backend', 'setting env_backend')})")
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
    return _uv_manager() if settings.env_backend == "auto" else None


def require_env_manager(settings: Settings) -> EnvManager:
    mgr = detect_env_manager(settings)
    if mgr is None:
        detail = ""
        if settings.conda_exe:
            detail = f"the configured env manager {settings.conda_exe!r} does not exist"
        elif settings.env_backend == "uv":
            detail = "env_backend=uv but uv was not found (pip install uv)"
        elif settings.env_backend != "auto":
            detail = f"env_backend={settings.env_backend} but no {settings.env_backend} was found"
        raise NoEnvManager(settings, detail)
    return mgr
