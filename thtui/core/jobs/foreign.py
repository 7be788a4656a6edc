"""Runs owned by another thtui process: a `thtui run --detach` in the background, a `thtui run` in another
tmux pane, another TUI. This process cannot receive their events, so a watcher reads what their owner
writes: job states from the run store, log lines from each job's log.txt (the runner flushes it line by
line), and ends such a run the one way that leaves it resumable: SIGTERM to its owner, which ends its
jobs' process trees and records the run as interrupted (the same as `thtui run --cancel ID`).

Whether a run is live is decided by thtui.core.run_state (owner pid + create time + host), nowhere else.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

from thtui.core.run_state import RUNNING, Owner, owner_alive, run_state, this_host
from thtui.core.store import JobRecord, RunRecord, Store

CANCEL_WAIT_S = 90.0  # the owner ends each job's tree: SIGTERM, SIGKILL after the grace period
FIRST_READ_BYTES = 256 * 1024  # a log met half-way through: only its end is shown (views keep 5000 lines)
_CREATE_TIME_TOLERANCE_S = 0.05  # as in run_state: a reused pid starts seconds later


class NotCancellable(Exception):
    """The run cannot be cancelled from here; the message says why in one line."""


@dataclass(frozen=True)
class ForeignJob:
    job_id: str
    run_id: str
    solution: str
    status: str  # as stored: pending | running | ok | failed | cancelled
    gpu: int | None
    pid: int | None  # the job's root process while it runs and is still that process; else None
    started_at: float | None  # wall clock
    finished_at: float | None
    job_dir: str

    @property
    def log_path(self) -> Path:
        return Path(self.job_dir) / "log.txt"


@dataclass(frozen=True)
class ForeignRun:
    run_id: str
    state: str  # thtui.core.run_state: running while its owner lives; then interrupted, done, failed…
    owner: Owner
    created_at: float
    jobs: tuple[ForeignJob, ...]
    # What the owner is: "run" (`thtui run`, detached or in another terminal), "" (a thtui TUI, which a
    # cancel's SIGTERM quits with all its work), None (not known: ended, or not readable).
    owner_command: str | None = None

    @property
    def live(self) -> bool:
        return self.state == RUNNING


def _owner(run: RunRecord) -> Owner:
    return Owner(run.owner_pid, run.owner_started, run.owner_host)


def _root_pid(job: JobRecord) -> int | None:
    """The job's recorded root pid, if that process is still the one the owner started (not a reuse)."""
    if job.status != "running" or job.pid is None:
        return None
    try:
        created = psutil.Process(job.pid).create_time()
    except psutil.Error:
        return None
    if job.pid_create_time is not None and abs(created - job.pid_create_time) > _CREATE_TIME_TOLERANCE_S:
        return None
    return job.pid


def _job(job: JobRecord) -> ForeignJob:
    return ForeignJob(
        job.id, job.run_id, job.solution, job.status, job.gpu, _root_pid(job),
        job.started_at, job.finished_at, job.job_dir,
    )  # fmt: skip


def foreign_runs(store: Store, also: Iterable[str] = (), me: int | None = None) -> list[ForeignRun]:
    """Runs running under another live thtui process on this host (not `me`, default this process), with
    their jobs, oldest first; plus the runs named in `also` whatever their state now, so a watcher gets a
    last look (final job states) at runs it saw live that have just ended."""
    me = os.getpid() if me is None else me
    wanted = set(also)
    picked: dict[str, RunRecord] = {}
    for run in store.runs_marked("running"):
        owner = _owner(run)
        if owner.pid != me and owner_alive(owner) is True:  # another host's pids mean nothing here
            picked[run.id] = run
    for run_id in wanted - picked.keys():
        run = store.get_run(run_id)
        if run is not None:
            picked[run_id] = run
    out = []
    for run in picked.values():
        state = run_state(run)
        command = owner_command(run.owner_pid) if state == RUNNING and run.owner_pid else None
        jobs = tuple(map(_job, store.list_jobs(run.id)))
        out.append(ForeignRun(run.id, state, _owner(run), run.created_at, jobs, command))
    return sorted(out, key=lambda r: (r.created_at, r.run_id))


def owner_command(pid: int) -> str | None:
    """The thtui command a process runs ("run", "serve"…), "" for the TUI (no command), None when it
    cannot be read or is not thtui. Global flags all take a value (thtui.cli.flags)."""
    try:
        argv = psutil.Process(pid).cmdline()
    except psutil.Error:
        return None
    starts = [
        i + 1 for i, a in enumerate(argv) if a == "thtui" or a.endswith(("/thtui", "thtui/__main__.py"))
    ]
    if not starts:
        return None
    rest = argv[starts[0] :]
    i = 0
    while i < len(rest):
        if not rest[i].startswith("-"):
            return rest[i]
        i += 1 if "=" in rest[i] or rest[i] in ("--version", "-h", "--help") else 2
    return ""


class LogTail:
    """New whole lines of a growing log file, from where the last read stopped. A file met late starts at
    the first line of its last FIRST_READ_BYTES; a file written anew (a resumed job's) starts over."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.offset: int | None = None  # None: not read yet
        self._inode: int | None = None

    def read(self) -> list[str]:
        try:
            with open(self.path, "rb") as f:
                st = os.fstat(f.fileno())
                if self.offset is None:
                    self.offset = _line_start_after(f, st.st_size - FIRST_READ_BYTES, st.st_size)
                elif st.st_ino != self._inode or st.st_size < self.offset:
                    self.offset = 0
                self._inode = st.st_ino
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return []
        end = data.rfind(b"\n") + 1  # whole lines only: the rest is read next time
        self.offset += end
        return data[:end].decode("utf-8", errors="replace").splitlines()


def _line_start_after(f, pos: int, size: int) -> int:
    """The offset of the first line that starts at or after `pos` (0 for pos <= 0)."""
    if pos <= 0:
        return 0
    f.seek(pos - 1)
    newline = f.read(FIRST_READ_BYTES + 1).find(b"\n")
    return pos + newline if newline >= 0 else size


def request_cancel(store: Store, run_id: str) -> Owner:
    """Ask the thtui process that owns a running run to end it (SIGTERM: it ends its jobs' process trees
    and records the run as interrupted, resumable). Returns that owner; raises NotCancellable."""
    run = store.get_run(run_id)
    if run is None:
        raise NotCancellable(f"no run {run_id!r} in {store.path}")
    owner = _owner(run)
    alive = owner_alive(owner)
    if alive is None:
        raise NotCancellable(f"run {run_id} runs on host {owner.host}: cancel it there")
    if run.state != RUNNING or not alive or owner.pid is None:
        raise NotCancellable(f"run {run_id} is not running ({run.state}); nothing to cancel")
    if owner.pid == os.getpid():
        raise NotCancellable(f"run {run_id} is run by this process: cancel it here")
    try:
        os.kill(owner.pid, signal.SIGTERM)
    except ProcessLookupError:
        raise NotCancellable(f"run {run_id} has just ended; nothing to cancel") from None
    except PermissionError:
        raise NotCancellable(f"run {run_id} belongs to another user (pid {owner.pid})") from None
    return owner


def running_elsewhere(store: Store, run_id: str) -> Owner | None:
    """The owner of `run_id` when another thtui process is running it now (on this host, alive; or on
    another host, which cannot be checked from here), else None. Resuming or deleting such a run would pull
    its jobs out from under it: callers refuse, naming this owner."""
    run = store.get_run(run_id)
    if run is None or run.status != RUNNING:
        return None
    owner = _owner(run)
    if owner.pid == os.getpid() and owner.host in (None, this_host()):
        return None
    return owner if owner_alive(owner) is not False else None


def running_elsewhere_message(run_id: str, owner: Owner) -> str:
    where = f"pid {owner.pid}" if owner.host in (None, this_host()) else f"host {owner.host}"
    return (
        f"run {run_id} is running in another thtui ({where}): follow it with  thtui runs --follow {run_id}, "
        f"or end it first with  thtui run --cancel {run_id}"
    )


def refuse_resume_of_a_live_run(db_path: Path, run_id: str) -> None:
    """RunError (one line) when another thtui process is running `run_id`: a resume would end its jobs'
    processes under it. The CLI's `run --resume` and the TUI's resume both ask this first."""
    from thtui.core.jobs.spec import RunError

    if not Path(db_path).exists():
        return
    store = Store(db_path)
    try:
        owner = running_elsewhere(store, run_id)
    finally:
        store.close()
    if owner is not None:
        raise RunError(running_elsewhere_message(run_id, owner))


def wait_owner_gone(owner: Owner, timeout: float = CANCEL_WAIT_S, poll: float = 0.2) -> bool:
    """True once the owner process has ended (within `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while owner_alive(owner):
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)
    return True
