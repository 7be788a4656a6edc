"""Run programs inside a prefix env, and pick the installer for requirements (uv pip, else pip)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

Installer = Literal["uv", "pip"]
# Variables that would make the env's interpreter load someone else's packages.
_LEAKY = ("PYTHONHOME", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONSTARTUP", "CONDA_DEFAULT_ENV", "CONDA_SHLVL")


def env_bin(prefix: Path) -> Path:
    return Path(prefix) / "bin"


def env_python(prefix: Path) -> Path:
    return env_bin(prefix) / "python"


def env_environ(prefix: Path, base: Mapping[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment a program sees when it runs "inside" the env, without activation scripts."""
    env = dict(os.environ if base is None else base)
    for key in _LEAKY:
        env.pop(key, None)
    env["PATH"] = os.pathsep.join([str(env_bin(prefix)), env.get("PATH", "")]).rstrip(os.pathsep)
    env["CONDA_PREFIX"] = str(prefix)
    env["PYTHONNOUSERSITE"] = "1"  # ~/.local/lib/pythonX.Y would shadow the env's own packages
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def find_uv() -> str | None:
    """uv on PATH, or installed next to thtui's own interpreter (`pip install uv` by bootstrap)."""
    beside = Path(sys.executable).parent / "uv"
    return shutil.which("uv") or (str(beside) if beside.is_file() else None)


def pick_installer(environ: Mapping[str, str] | None = None) -> tuple[Installer, str | None]:
    """('uv', path) when uv is available, else ('pip', None). THTUI_INSTALLER=pip|uv forces one."""
    environ = os.environ if environ is None else environ
    forced = environ.get("THTUI_INSTALLER", "auto")
    uv = find_uv() if forced in ("auto", "uv") else None
    if uv:
        return "uv", uv
    return "pip", None


def installer_argv(
    installer: Installer,
    python: Path,
    requirements: list[str],
    *,
    uv: str | None = None,
    index_url: str | None = None,
    extra_index_urls: list[str] | None = None,
    constraints: Path | None = None,
    no_deps: bool = False,
) -> list[str]:
    """`uv pip install --python PY ...` or `PY -m pip install ...` with the same meaning."""
    if installer == "uv":
        if not uv:
            raise ValueError("installer 'uv' needs the uv executable")
        argv = [uv, "pip", "install", "--python", str(python)]
        if extra_index_urls:
            # pip's semantics (best version across all indexes); uv's default would stop at the first index.
            argv += ["--index-strategy", "unsafe-best-match"]
    else:
        argv = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
    if index_url:
        argv += ["--index-url", index_url]
    for url in extra_index_urls or []:
        argv += ["--extra-index-url", url]
    if constraints is not None:
        argv += ["-c", str(constraints)]
    if no_deps:
        argv.append("--no-deps")
    return argv + list(requirements)
