"""Processes of a run whose thtui is gone (SIGKILL, a crash, a reboot of the terminal host but not of
this one): still holding a GPU with nothing supervising them. A new run looks for them before it starts.

A job process is recognised two ways: the job's root pid recorded in the store together with its
create time (so a reused pid is never taken for the job), and the THTUI_JOB_ID=<run-id>/... marker in
the environment of every process the job started (children that left the tree and the session too).
Only runs recorded as running whose owner process is no longer alive are looked at: a run another live
thtui is running is not an orphan.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import psutil

from thtui.core.jobs.proctree import JOB_ENV_MARKER, kill_marked

RECENT_RUNS = 50  # runs killed long ago have had their processes reaped by a reboot or by a resume
_CREATE_TIME_TOLERANCE_S = 0.05


@dataclass(frozen=True)
class Orphans:
    run_id: str
    pids: tuple[int, ...]


def find_orphans(store, limit: int = RECENT_RUNS) -> list[Orphans]:
    """Runs whose owner is gone but some of whose job processes are still alive, newest first."""
    stale = [r.id for r in store.list_runs(limit) if r.stale]
    if not stale:
        return []
    found: dict[str, set[int]] = {run_id: set() for run_id in stale}
    for run_id in stale:
        for job in store.list_jobs(run_id):
            if (
                job.status == "running"
                and job.pid is not None
                and _same_process(job.pid, job.pid_create_time)
            ):
                found[run_id].add(job.pid)
    me = os.getuid()
    for p in psutil.process_iter(["uids"]):
        try:
            if p.info["uids"] is None or p.info["uids"].real != me or p.pid == os.getpid():
                continue
            marker = p.environ().get(JOB_ENV_MARKER)
            if marker and marker.split("/", 1)[0] in found and p.status() != psutil.STATUS_ZOMBIE:
                found[marker.split("/", 1)[0]].add(p.pid)
        except psutil.Error:
            continue
    return [Orphans(run_id, tuple(sorted(pids))) for run_id, pids in found.items() if pids]


def end_orphans(orphans: list[Orphans], grace: float = 3.0) -> list[int]:
    """End every process found by find_orphans (SIGTERM, SIGKILL after `grace`)."""
    ended: list[int] = []
    for o in orphans:
        ended += kill_marked(f"{o.run_id}/", prefix=True, grace=grace)
        for pid in o.pids:
            if pid in ended:
                continue
            try:
                proc = psutil.Process(pid)
                proc.terminate()
                try:
                    proc.wait(grace)
                except psutil.TimeoutExpired:
                    proc.kill()
                ended.append(pid)
            except psutil.Error:
                continue
    return sorted(set(ended))


def _same_process(pid: int, create_time: float | None) -> bool:
    if create_time is None:
        return False
    try:
        proc = psutil.Process(pid)
        return (
            proc.status() != psutil.STATUS_ZOMBIE
            and abs(proc.create_time() - create_time) <= _CREATE_TIME_TOLERANCE_S
        )
    except psutil.Error:
        return False
