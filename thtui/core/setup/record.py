"""The install record (`state_dir/<name>.json`), the per-solution lock, and orphan reaping.

The record is the only install state: status is derived from it, each step is written to it the moment
it finishes (atomic replace, so SIGKILL at any instant leaves the old or the new record, never half).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thtui.core.config import Settings


def record_path(settings: Settings, name: str) -> Path:
    return settings.state_dir / f"{name}.json"


def lock_path(settings: Settings, name: str) -> Path:
    return settings.state_dir / f"{name}.lock"


def child_path(settings: Settings, name: str) -> Path:
    return settings.state_dir / f"{name}.child"


@dataclass
class Record:
    name: str
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    complete: bool = False
    failed: dict[str, Any] | None = None
    manifest_digest: str = ""
    log: str | None = None

    @classmethod
    def load(cls, settings: Settings, name: str) -> Record:
        path = record_path(settings, name)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return cls(name)
        except (OSError, ValueError):
            return cls(name)  # unreadable: start over (the steps' own checks redo only what is missing)
        return cls(
            name,
            steps=dict(data.get("steps") or {}),
            complete=bool(data.get("complete")),
            failed=data.get("failed"),
            manifest_digest=data.get("manifest_digest", ""),
            log=data.get("log"),
        )

    def save(self, settings: Settings) -> None:
        path = record_path(settings, self.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "solution": self.name,
            "manifest_digest": self.manifest_digest,
            "complete": self.complete,
            "failed": self.failed,
            "log": self.log,
            "steps": self.steps,
        }
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, path)

    def mark_done(self, step: str, fp: str, seconds: float, info: dict[str, Any]) -> None:
        self.steps[step] = {
            "fingerprint": fp,
            "finished_at": time.time(),
            "seconds": round(seconds, 2),
            "info": info,
        }

    def info(self, step: str) -> dict[str, Any]:
        return dict((self.steps.get(step) or {}).get("info") or {})


def env_backend_of(settings: Settings, name: str) -> str | None:
    """Which backend built this solution's env (conda, mamba, micromamba or uv); None when not built."""
    return Record.load(settings, name).info("env").get("manager") or None


class SetupBusy(RuntimeError):
    pass


def _proc_start(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def holder(settings: Settings, name: str) -> str | None:
    """'pid N since HH:MM:SS' when another process holds the setup lock of `name`, else None."""
    path = lock_path(settings, name)
    if not path.exists():
        return None
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            return fh.read().strip() or "another process"
        fcntl.flock(fh, fcntl.LOCK_UN)
    return None


@contextlib.contextmanager
def setup_lock(
    settings: Settings, name: str, *, wait: bool, cancel: threading.Event | None = None, on_wait=None
) -> Iterator[None]:
    """fcntl lock: a second `setup` of the same solution waits (wait=True) or raises SetupBusy.

    The kernel drops the lock when its holder dies, even by SIGKILL, so a crash never leaves it stuck."""
    path = lock_path(settings, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        told = False
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                fh.seek(0)
                who = fh.read().strip() or "another process"
                if not wait:
                    raise SetupBusy(
                        f"setup of {name} is already running ({who}); wait for it to finish, or use --wait"
                    ) from None
                if not told and on_wait:
                    on_wait(who)
                    told = True
                if cancel is not None and cancel.wait(0.25):
                    # Imported here: `thtui list` reads install status through this module, and the
                    # download layer (urllib, ssl, email) is most of what it would add at start-up.
                    from thtui.core.downloads import Cancelled

                    raise Cancelled() from None
                if cancel is None:
                    time.sleep(0.25)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {time.strftime('%H:%M:%S')}")
        fh.flush()
        try:
            reap_orphan(settings, name)
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def note_child(settings: Settings, name: str, pid: int | None) -> None:
    """Remember the running child (its own process group) so a rerun after SIGKILL can stop it."""
    path = child_path(settings, name)
    if pid is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{pid} {_proc_start(pid) or ''}")


def reap_orphan(settings: Settings, name: str) -> int | None:
    """Kill the process group a killed setup left running (pip keeps going when its parent dies, and
    must not write into the env while the rerun does). Returns the pid it stopped, if any."""
    path = child_path(settings, name)
    try:
        pid_s, _, start = path.read_text().partition(" ")
        pid = int(pid_s)
    except (OSError, ValueError):
        return None
    path.unlink(missing_ok=True)
    if not start.strip() or _proc_start(pid) != start.strip():
        return None  # gone, or the pid was reused by an unrelated process
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
        return pid
    return None
