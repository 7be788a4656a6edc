"""`thtui bootstrap`: make a fresh Ubuntu 22.04 GPU box ready for `thtui setup`.

Plans first (pure inspection: which apt packages are missing, whether root/sudo is available, whether a
conda-family manager exists), then runs the plan through the setup engine's Session, so the CLI shows the
same step events and everything lands in `logs_dir/bootstrap/<timestamp>.log`. `--dry-run` prints the plan.
Miniforge (conda-forge only) goes to `<data_root>/miniforge`: Anaconda's default channels need a ToS
acceptance, which would stop an unattended install.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from thtui.core.config import Settings
from thtui.core.downloads import Cancelled, DownloadError, Expect, download
from thtui.core.downloads.http import open_url
from thtui.core.envs import detect_env_manager
from thtui.core.envs.runtime import find_uv
from thtui.core.events import EventSink, discard
from thtui.core.setup.events import (
    SetupFinished,
    SetupStarted,
    StepFailed,
    StepFinished,
    StepSkipped,
    StepStarted,
)
from thtui.core.setup.session import Session, StepFailure
from thtui.core.wording import plural

NAME = "bootstrap"
APT_PACKAGES = (
    "git", "git-lfs", "ffmpeg", "build-essential", "curl", "ca-certificates", "bzip2", "unzip",
    "libgl1", "libglib2.0-0", "libsm6", "libxext6", "libxrender1", "libgomp1",  # OpenCV, dlib, face libs
    "libsndfile1", "espeak-ng",  # soundfile (librosa) and Coqui's phonemizer
)  # fmt: skip
MINIFORGE_URL = "https://github.com/conda-forge/miniforge/releases/latest/download/Miniforge3-Linux-{arch}.sh"


@dataclass(frozen=True)
class Action:
    name: str
    why: str
    commands: tuple[tuple[str, ...], ...] = ()  # argv lists, run in order
    needed: bool = True
    skip_reason: str = ""  # set when not needed or not possible
    download: tuple[str, str] | None = None  # (url, dest) fetched before the commands
    env: dict[str, str] = field(default_factory=dict)


def _missing_apt(packages: tuple[str, ...]) -> list[str]:
    """Packages dpkg does not list as installed (one dpkg-query call for all of them)."""
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Package} ${Status}\n", *packages],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return list(packages)
    installed = {
        line.split()[0].split(":")[0] for line in out.splitlines() if line.endswith("install ok installed")
    }
    return [p for p in packages if p not in installed]


def _privilege() -> tuple[list[str] | None, str]:
    """argv prefix for root commands: [] as root, sudo when it works without a password, else None."""
    if os.geteuid() == 0:
        return [], "running as root"
    if shutil.which("sudo"):
        try:
            if subprocess.run(["sudo", "-n", "true"], capture_output=True, timeout=10).returncode == 0:
                return ["sudo", "-n"], "passwordless sudo"
        except (OSError, subprocess.TimeoutExpired):
            pass
        return None, "sudo needs a password"
    return None, "not root and no sudo"


def plan_bootstrap(settings: Settings, *, with_uv: bool = True) -> list[Action]:
    actions: list[Action] = []
    apt = shutil.which("apt-get")
    missing = _missing_apt(APT_PACKAGES) if apt and shutil.which("dpkg-query") else list(APT_PACKAGES)
    why = "system packages: " + ", ".join(APT_PACKAGES)
    if not apt:
        actions.append(
            Action(
                "apt", why, needed=False, skip_reason=f"no apt-get here; install {' '.join(missing)} yourself"
            )
        )
    elif not missing:
        actions.append(Action("apt", why, needed=False, skip_reason="all installed"))
    else:
        prefix, how = _privilege()
        env_argv = ["env", "DEBIAN_FRONTEND=noninteractive"]  # survives sudo's environment reset
        cmds = (
            (*(prefix or []), *env_argv, "apt-get", "update"),
            (*(prefix or []), *env_argv, "apt-get", "install", "-y", "--no-install-recommends", *missing),
        )
        if prefix is None:
            manual = f"sudo apt-get update && sudo apt-get install -y {' '.join(missing)}"
            actions.append(
                Action("apt", why, cmds, needed=False, skip_reason=f"{how}: run `{manual}` yourself")
            )
        else:
            actions.append(Action("apt", f"install {plural(len(missing), 'missing package')} ({how})", cmds))
    lfs_ready = bool(shutil.which("git-lfs")) or "git-lfs" in missing
    actions.append(
        Action(
            "git-lfs",
            "enable Git LFS for clones that keep files in LFS",
            (("git", "lfs", "install", "--skip-repo"),),
            needed=lfs_ready,
            skip_reason="" if lfs_ready else "git-lfs is not installed",
        )
    )
    mgr = detect_env_manager(settings)
    prefix_dir = settings.data_root / "miniforge"
    arch = platform.machine() or "x86_64"
    installer = settings.cache_dir / f"Miniforge3-Linux-{arch}.sh"
    # THTUI_MINIFORGE_URL: an internal mirror (or a stand-in in tests); its `.sha256` sits beside it.
    url = os.environ.get("THTUI_MINIFORGE_URL") or MINIFORGE_URL.format(arch=arch)
    if mgr is not None:
        actions.append(
            Action(
                "miniforge",
                "a conda-family env manager",
                needed=False,
                skip_reason=f"{mgr.kind} at {mgr.exe} ({mgr.origin})",
            )
        )
    else:
        actions.append(
            Action(
                "miniforge",
                f"install Miniforge (conda + mamba, conda-forge only) into {prefix_dir}",
                (("bash", str(installer), "-b", "-p", str(prefix_dir)),),
                download=(url, str(installer)),
            )
        )
    uv = find_uv()
    if uv or not with_uv:
        actions.append(
            Action(
                "uv",
                "fast requirement installs with one shared cache",
                needed=False,
                skip_reason=f"found at {uv}" if uv else "skipped (--no-uv)",
            )
        )
    else:
        actions.append(
            Action(
                "uv",
                "fast requirement installs with one shared cache (pip is the fallback)",
                ((sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "uv"),),
            )
        )
    return actions


def _sha256_of_release(url: str) -> str | None:
    """Miniforge publishes `<installer>.sha256` next to each installer; None when it cannot be read."""
    try:
        with open_url(url + ".sha256", timeout=30) as resp:
            text = resp.read(4096).decode("ascii", "replace").split()
    except Exception:
        return None
    return text[0] if text and len(text[0]) == 64 else None


def run_bootstrap(
    settings: Settings,
    actions: list[Action],
    sink: EventSink = discard,
    *,
    cancel: threading.Event | None = None,
    log_path: Path | None = None,
) -> bool:
    from thtui.core.setup.engine import new_log_path

    t0 = time.monotonic()
    log_path = log_path or new_log_path(settings, NAME)
    s = Session(NAME, settings, sink, cancel, log_path)
    sink(SetupStarted(solution=NAME, steps=tuple(a.name for a in actions), log_path=str(log_path)))
    ok = True
    try:
        for i, action in enumerate(actions, 1):
            if not action.needed:
                s.write_log(action.name, f"skipped: {action.skip_reason}")
                sink(StepSkipped(solution=NAME, step=action.name, reason=action.skip_reason))
                continue
            sink(StepStarted(solution=NAME, step=action.name, index=i, total=len(actions), title=action.why))
            started = time.monotonic()
            try:
                _run_action(s, action)
            except StepFailure as exc:
                ok = False
                sink(
                    StepFailed(
                        solution=NAME,
                        step=action.name,
                        error=exc.error,
                        log_path=str(log_path),
                        hint=exc.hint,
                    )
                )
                if action.name in ("apt", "miniforge"):
                    break  # later actions depend on these
                continue
            except DownloadError as exc:
                ok = False
                sink(StepFailed(solution=NAME, step=action.name, error=str(exc), log_path=str(log_path)))
                break
            sink(StepFinished(solution=NAME, step=action.name, seconds=time.monotonic() - started))
    except Cancelled:
        sink(
            SetupFinished(
                solution=NAME,
                ok=False,
                state="cancelled",
                seconds=time.monotonic() - t0,
                log_path=str(log_path),
                cancelled=True,
            )
        )
        return False
    finally:
        s.close()
    sink(
        SetupFinished(
            solution=NAME,
            ok=ok,
            state="ready" if ok else "broken",
            seconds=time.monotonic() - t0,
            log_path=str(log_path),
        )
    )
    return ok


def _run_action(s: Session, action: Action) -> None:
    if action.download:
        url, dest = action.download
        sha = _sha256_of_release(url)
        if sha is None:
            s.note(action.name, f"no published sha256 for {url}; checking only that the download completes")
        progress: Callable[[int, int | None], None] = s.progress(action.name, Path(dest).name)
        download(url, Path(dest), Expect(sha256=sha), progress=progress, cancel=s.cancel)
    if action.name == "miniforge":
        target = Path(action.commands[0][-1])
        if target.exists():
            s.log(action.name, f"removing the unfinished Miniforge at {target}")
            shutil.rmtree(target)
    for argv in action.commands:
        s.run(action.name, argv, env={**os.environ, **action.env})


def describe(action: Action) -> list[str]:
    """Lines for --dry-run: what would run, or why not."""
    head = f"{action.name}: {action.why}"
    if not action.needed:
        return [f"{head}  [skip: {action.skip_reason}]"]
    lines = [head]
    if action.download:
        lines.append(f"    download {action.download[0]} -> {action.download[1]} (resumable, sha256-checked)")
    lines += [f"    $ {' '.join(argv)}" for argv in action.commands]
    return lines
