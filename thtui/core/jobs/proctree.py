"""A job's process tree: spawn it in its own session, find every process it made, end them all.

A job is more than its first pid: `conda run` starts python, python starts ffmpeg or worker pools, and
a misbehaving script may double-fork or call setsid(). Members are found four ways, so none is left
holding the GPU after a timeout or cancel:
  1. descendants of the root (psutil);
  2. processes of the root's session (the root is a session leader, so double-forked daemons keep it);
  3. any process seen once before that is still the same process (pid + create time);
  4. any process of ours whose environment carries THTUI_JOB_ID=<this job> (scanned once a second
     while sampling, and always at termination).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

JOB_ENV_MARKER = "THTUI_JOB_ID"
MARKER_SCAN_INTERVAL_S = 1.0  # reading every process's environment costs a few ms: not on every sample

# Every tree spawned by this process and not yet finished with (see `forget`): the last-resort net at
# interpreter exit, whatever path led there, ends them so no job outlives the thtui that started it.
_LIVE: set[ProcessTree] = set()
_LIVE_LOCK = threading.Lock()


@dataclass(frozen=True)
class ExitInfo:
    returncode: int  # negative: killed by that signal
    max_rss_bytes: int  # wait4 ru_maxrss: the largest single process among the root and its reaped children
    cpu_time_s: float  # user + system time of the root and its reaped children


class ProcessTree:
    """The root child (spawned here) and everything it started. Thread-safe enough for one waiter thread
    plus a sampler thread calling `members()`."""

    def __init__(self, popen: subprocess.Popen, marker: str | None = None, started_at: float | None = None):
        self.popen = popen
        self.pid = popen.pid
        self.started_at = started_at if started_at is not None else time.monotonic()
        self.marker = marker
        self._seen: dict[int, float] = {}  # pid -> create_time
        self._procs: dict[int, psutil.Process] = {}  # cached so cpu_percent() has a previous reading
        self.exit: ExitInfo | None = None
        self.exited_at: float | None = None  # time.monotonic() of the root's exit
        self._exited = threading.Event()
        self._last_marker_scan = 0.0
        self._waiter = threading.Thread(target=self._wait_root, name=f"wait-{self.pid}", daemon=True)
        self._waiter.start()
        with _LIVE_LOCK:
            _LIVE.add(self)

    def forget(self) -> None:
        """The runner has ended (or reaped) everything of this tree: drop it from the exit-time net."""
        with _LIVE_LOCK:
            _LIVE.discard(self)

    @classmethod
    def spawn(
        cls,
        argv: list[str],
        *,
        cwd: str | Path,
        env: dict[str, str],
        marker: str | None = None,
    ) -> ProcessTree:
        """Start argv in a new session (its own process group), stdin closed, stdout/stderr piped."""
        if marker:
            env = {**env, JOB_ENV_MARKER: marker}
        started_at = time.monotonic()
        popen = subprocess.Popen(
            argv,
            cwd=str(cwd),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # own session + process group: killpg reaches the whole job
            close_fds=True,
        )
        return cls(popen, marker, started_at)

    # ---- membership -------------------------------------------------------------------------------
    def _proc(self, pid: int, create_time: float | None = None) -> psutil.Process | None:
        p = self._procs.get(pid)
        try:
            if p is None:
                p = psutil.Process(pid)
                self._procs[pid] = p
            if create_time is not None and abs(p.create_time() - create_time) > 0.01:
                return None  # the pid was reused by an unrelated process
            return p
        except psutil.Error:
            self._procs.pop(pid, None)
            return None

    def members(self, include_root: bool = True) -> list[psutil.Process]:
        """Live processes of the job (zombies excluded: they hold no memory)."""
        found: dict[int, psutil.Process] = {}
        root = self._proc(self.pid) if not self._exited.is_set() else None
        if root is not None:
            try:
                for child in root.children(recursive=True):
                    found[child.pid] = self._procs.setdefault(child.pid, child)
            except psutil.Error:
                pass
            if include_root:
                found[self.pid] = root
        if self.marker and time.monotonic() - self._last_marker_scan >= MARKER_SCAN_INTERVAL_S:
            self._last_marker_scan = time.monotonic()
            for p in find_marked(self.marker):  # escaped both tree and session (setsid after a fork)
                found.setdefault(p.pid, self._procs.setdefault(p.pid, p))
        for pid in _session_members(self.pid):
            if pid not in found and (p := self._proc(pid)) is not None:
                found[pid] = p
        for pid, ctime in list(self._seen.items()):
            if pid not in found and (p := self._proc(pid, ctime)) is not None:
                found[pid] = p
        live = {}
        for pid, p in found.items():
            try:
                if p.status() == psutil.STATUS_ZOMBIE:
                    continue
                self._seen.setdefault(pid, p.create_time())
                live[pid] = p
            except psutil.Error:
                self._procs.pop(pid, None)
        if not include_root:
            live.pop(self.pid, None)
        return list(live.values())

    def pids(self) -> set[int]:
        return {p.pid for p in self.members()}

    # ---- waiting ----------------------------------------------------------------------------------
    def _wait_root(self) -> None:
        """Blocking wait4 on a thread of its own: the exit is seen the moment it happens (wall time is
        exact, no polling interval) and its rusage is kept (Popen.wait would discard it)."""
        try:
            _, status, usage = os.wait4(self.pid, 0)
            code = os.waitstatus_to_exitcode(status)
            info = ExitInfo(code, int(usage.ru_maxrss) * 1024, usage.ru_utime + usage.ru_stime)
        except ChildProcessError:  # reaped by someone else: no rusage to be had
            info = ExitInfo(self.popen.returncode if self.popen.returncode is not None else -1, 0, 0.0)
        self.exited_at = time.monotonic()
        self.popen.returncode = info.returncode  # Popen must not try to reap it again
        self.exit = info
        self._exited.set()

    def poll(self) -> ExitInfo | None:
        return self.exit if self._exited.is_set() else None

    def wait(self, timeout: float | None = None) -> ExitInfo | None:
        self._exited.wait(timeout)
        return self.poll()

    # ---- ending -----------------------------------------------------------------------------------
    def terminate(self, grace: float = 5.0) -> list[int]:
        """SIGTERM the process group and every member, wait up to `grace`, then SIGKILL what is left,
        including processes that escaped the group. Returns the pids that needed SIGKILL."""
        targets = self._everything(deep=True)
        self._signal_group(signal.SIGTERM)
        for p in targets:
            _send(p, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not _alive(targets) and not self._everything(deep=False):
                break
            time.sleep(0.05)
        killed: set[int] = set()
        for _ in range(3):  # a dying parent may fork once more; sweep until nothing is left
            left = _alive(targets) + self._everything(deep=True)
            killed.update(p.pid for p in left)  # alive after the grace period: they needed SIGKILL
            self._signal_group(signal.SIGKILL)
            for p in left:
                _send(p, signal.SIGKILL)
            self.wait(timeout=2.0)
            psutil.wait_procs([p for p in left if p.pid != self.pid], timeout=2.0)
            if not self._everything(deep=True):
                break
        return sorted(killed)

    def reap_leftovers(self, grace: float = 2.0) -> list[int]:
        """After the root exited on its own: end members it left behind (workers, daemons)."""
        left = [p.pid for p in self._everything(deep=True)]
        if left:
            self.terminate(grace)
        return left

    def _everything(self, deep: bool) -> list[psutil.Process]:
        procs = {p.pid: p for p in self.members(include_root=self.exit is None)}
        if deep and self.marker:
            for p in find_marked(self.marker):
                procs.setdefault(p.pid, p)
        procs.pop(os.getpid(), None)
        return list(procs.values())

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)  # pgid == root pid (start_new_session)


def live_trees() -> list[ProcessTree]:
    """Trees spawned here that the runner has not finished with."""
    with _LIVE_LOCK:
        return list(_LIVE)


def end_all_trees(grace: float = 3.0) -> list[int]:
    """End every job tree this process still has (SIGTERM, SIGKILL after `grace`); returns the pids that
    were still running. Normally the runner has done it already and this finds nothing."""
    ended: list[int] = []
    for tree in live_trees():
        try:
            pids = [p.pid for p in tree._everything(deep=True)]
            if pids:
                tree.terminate(grace)
                ended.extend(pids)
        except Exception:  # at exit nothing may stop the others from being ended
            pass
        tree.forget()
    return ended


atexit.register(end_all_trees)


def _send(p: psutil.Process, sig: int) -> bool:
    try:
        p.send_signal(sig)
        return True
    except psutil.Error:
        return False


def _alive(procs: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.Error:
            continue
    return out


def _session_members(sid: int) -> list[int]:
    out = []
    for pid in psutil.pids():
        try:
            if os.getsid(pid) == sid:
                out.append(pid)
        except OSError:
            continue
    return out


def find_marked(marker: str, prefix: bool = False) -> list[psutil.Process]:
    """Our own processes whose environment carries THTUI_JOB_ID=marker (or starts with it when
    `prefix`): the last net for processes that left both the tree and the session."""
    me = os.getuid()
    out = []
    for p in psutil.process_iter(["uids"]):
        try:
            if p.info["uids"] is None or p.info["uids"].real != me or p.pid == os.getpid():
                continue
            value = p.environ().get(JOB_ENV_MARKER)
        except psutil.Error:
            continue
        if value is not None and (value == marker or (prefix and value.startswith(marker))):
            try:
                if p.status() != psutil.STATUS_ZOMBIE:
                    out.append(p)
            except psutil.Error:
                continue
    return out


def kill_marked(marker: str, prefix: bool = False, grace: float = 3.0) -> list[int]:
    """End every process carrying the marker (e.g. jobs left running by a thtui that was killed)."""
    procs = find_marked(marker, prefix)
    for p in procs:
        _send(p, signal.SIGTERM)
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        _send(p, signal.SIGKILL)
    psutil.wait_procs(alive, timeout=2.0)
    return [p.pid for p in procs]
