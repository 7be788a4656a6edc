"""The one place that decides what state a run is in: running, interrupted, done, failed or missing.

The store's `status` column and run.json's "status" say what the owning thtui process last wrote; a
process killed with SIGKILL (or a reboot) writes nothing, so "running" there only means "was running".
A run is running only while its owner is alive: the owner's pid, the create time psutil reports for
it (so a reused pid is not taken for the owner) and the host name are recorded when the run is created
(store columns owner_pid/owner_started/owner_host, run.json "owner"). A run whose folder under outputs/
is gone is missing, whatever the database says: its results are gone with it.

The TUI's Results, `thtui runs` and reports all call `run_state`/`state_of_files`; nothing else
interprets the raw status.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

RUNNING = "running"
INTERRUPTED = "interrupted"
DONE = "done"
FAILED = "failed"
MISSING = "missing"
STATES = (RUNNING, INTERRUPTED, DONE, FAILED, MISSING)

# psutil's create_time is derived from /proc boot time + ticks; two reads of the same process agree
# to well under this, while a reused pid starts seconds or more later.
_CREATE_TIME_TOLERANCE_S = 0.05


@dataclass(frozen=True)
class Owner:
    """The thtui process that runs (ran) a run."""

    pid: int | None
    started: float | None  # psutil create_time of that process
    host: str | None

    def to_json(self) -> dict[str, Any]:
        return {"pid": self.pid, "create_time": self.started, "host": self.host}

    @classmethod
    def from_json(cls, data: Any) -> Owner:
        if not isinstance(data, dict):
            return cls(None, None, None)
        pid, started, host = data.get("pid"), data.get("create_time"), data.get("host")
        return cls(
            pid if isinstance(pid, int) else None,
            float(started) if isinstance(started, (int, float)) else None,
            host if isinstance(host, str) else None,
        )


def this_host() -> str:
    return socket.gethostname()


def current_owner() -> Owner:
    """This process, as the owner of a run it creates or resumes."""
    return Owner(os.getpid(), psutil.Process().create_time(), this_host())


def owner_alive(owner: Owner) -> bool | None:
    """True/False for an owner on this host; None when it ran on another host (cannot be checked
    from here: a shared outputs dir on NFS)."""
    if owner.host is not None and owner.host != this_host():
        return None
    if owner.pid is None:
        return False
    try:
        proc = psutil.Process(owner.pid)
        created = proc.create_time()
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
    except psutil.Error:
        return False
    return owner.started is not None and abs(created - owner.started) <= _CREATE_TIME_TOLERANCE_S


def decide(status: str | None, run_dir: Path | str | None, owner: Owner) -> str:
    """The state from what was recorded (status, owner) and what is on disk (the run folder)."""
    recorded = (status or "").lower()
    if recorded == RUNNING:
        alive = owner_alive(owner)
        if alive or alive is None:  # another host's run: trust what it wrote
            return RUNNING
    if run_dir is not None and not Path(run_dir).is_dir():
        return MISSING
    if recorded == RUNNING:
        return INTERRUPTED
    if recorded in (DONE, FAILED, INTERRUPTED):
        return recorded
    # "refused" (TTS refused the text before any job ran) and anything unknown: it did not complete.
    return FAILED


def run_state(run: Any) -> str:
    """State of a store RunRecord (duck-typed: status, run_dir, owner_pid, owner_started, owner_host)."""
    owner = Owner(
        getattr(run, "owner_pid", None), getattr(run, "owner_started", None), getattr(run, "owner_host", None)
    )
    return decide(run.status, run.run_dir, owner)


def state_of_files(run_dir: Path | str, run_json: dict[str, Any] | None) -> str:
    """State of a run known only from its folder (no database row, e.g. a copied outputs dir)."""
    if run_json is None:
        return MISSING if not Path(run_dir).is_dir() else FAILED
    owner = Owner.from_json(run_json.get("owner"))
    if owner.pid is None:  # run.json from before "owner": the last session's pid, no create time
        sessions = run_json.get("sessions") or []
        last = sessions[-1] if sessions and isinstance(sessions[-1], dict) else {}
        owner = Owner.from_json({"pid": last.get("pid"), "create_time": last.get("create_time")})
    return decide(run_json.get("status"), run_dir, owner)


def describe(state: str) -> str:
    """Words for a state, for tables and reports."""
    return {
        RUNNING: "running",
        INTERRUPTED: "interrupted (thtui was stopped; --resume continues it)",
        DONE: "done",
        FAILED: "failed",
        MISSING: "missing (its folder under outputs/ is gone)",
    }.get(state, state)
