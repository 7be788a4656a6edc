"""Which processes belong to a watched job, kept current without reading the whole process table on
every sample.

Issue 10 measured thtui's Monitor at 6.3 % of a core at 10 Hz on an H200 (a bare NVML loop: 0.35 %),
most of it psutil's `children(recursive=True)`, which reads every `/proc/*/stat` on every sample. Here
the work is spread over three rates:

- every sample: the cached members only (their RSS and CPU, a couple of /proc reads each), and for each
  GPU process NVML lists on the job's device that is not yet a member, a walk up its parents through
  `/proc/<pid>/stat` (to the root or a member; or its session is the root's, as after a double fork; or
  its environment carries the job's marker). A process that takes GPU memory between refreshes is
  counted at once. Decisions are cached per pid and start time: a pid seen once is not walked again;
- `FAST_REFRESH_S`: descendants of the root and of known members through
  `/proc/<pid>/task/<tid>/children`, a cost that grows with the job's own processes and threads, not
  with the machine's;
- `DEEP_REFRESH_S`: the process set's own `members()` (for a ProcessTree: descendants, session and
  environment marker, which walks the whole table), to catch a process that left the tree and never
  touched the GPU.

A process set without a root pid (a fixed set in tests) is simply asked for `members()` every
`FAST_REFRESH_S`. Without `/proc/<pid>/task/<tid>/children` (a kernel built without
CONFIG_PROC_CHILDREN) every refresh is a deep one.
"""

from __future__ import annotations

import os
from collections.abc import Container
from typing import NamedTuple

import psutil

from thtui.core.monitor.host import ProcessSet, tree_usage

FAST_REFRESH_S = 1.0
DEEP_REFRESH_S = 5.0
MAX_PARENT_HOPS = 64  # a chain longer than this is not a job's (and ends the walk if /proc lies)
MARKER_ENV = "THTUI_JOB_ID"  # thtui.core.jobs.proctree.JOB_ENV_MARKER (core.monitor does not import jobs)

_children_files = True  # set False once a kernel shows it has no /proc/<pid>/task/<tid>/children
HAS_PROC = os.path.isdir("/proc/self")  # Linux; elsewhere usage() asks psutil
_CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


class ProcStat(NamedTuple):
    start: int  # start time in clock ticks since boot: with the pid, identifies one process
    ppid: int
    sid: int
    zombie: bool
    cpu_ticks: int  # user + system time
    rss_pages: int  # resident set size (what psutil's memory_info().rss reads from statm, in pages)


def read_stat(pid: int) -> ProcStat | None:
    """One read of /proc/<pid>/stat: parent, session, state, start time, CPU time and RSS; None when the
    process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself hold spaces or ')': split after the last.
    fields = raw[raw.rfind(b")") + 2 :].split()
    try:
        return ProcStat(
            start=int(fields[19]),
            ppid=int(fields[1]),
            sid=int(fields[3]),
            zombie=fields[0] == b"Z",
            cpu_ticks=int(fields[11]) + int(fields[12]),
            rss_pages=int(fields[21]),
        )
    except (IndexError, ValueError):
        return None


def _children(pid: int) -> list[int] | None:
    """Child pids of every thread of `pid` ([] when it is gone); None when the kernel lacks the files."""
    global _children_files
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    kids: list[int] = []
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                kids.extend(int(k) for k in f.read().split())
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue  # the thread ended meanwhile
            _children_files = False
            return None
        except (OSError, ValueError):
            continue
    return kids


def _has_marker(pid: int, marker: str) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read()
    except OSError:  # another user's process, or gone
        return False
    return f"{MARKER_ENV}={marker}".encode() in env.split(b"\0")


class Membership:
    """The live processes of one job's process set, refreshed at the rates above. Used from the sampler
    thread only."""

    def __init__(self, tree: ProcessSet):
        self.tree = tree
        pid = getattr(tree, "pid", None)
        self.root: int | None = pid if isinstance(pid, int) else None
        # Attached right after the spawn, so this is the root itself; after it exits, its pid may name
        # an unrelated process, which the start time tells apart.
        root_stat = read_stat(self.root) if self.root is not None else None
        self._root_start: int | None = root_stat.start if root_stat else None
        marker = getattr(tree, "marker", None)
        self.marker: str | None = marker if isinstance(marker, str) else None
        # pid -> (start time, Process): the same Process object between samples, so cpu_percent() has
        # its previous reading; the start time tells a reused pid from the member it replaced.
        self._procs: dict[int, tuple[int | None, psutil.Process]] = {}
        self._decided: dict[int, tuple[int, bool]] = {}  # GPU pid -> (start time, is it ours)
        self._cpu_prev: dict[int, tuple[int, float, int]] = {}  # pid -> (start time, when, CPU ticks)
        self._next_fast = 0.0
        self._next_deep = 0.0
        self.deep_refreshes = 0  # how often members() was asked (the benchmark and tests read these)
        self.fast_refreshes = 0

    # ---- membership -------------------------------------------------------------------------------
    def members(self, now: float) -> list[psutil.Process]:
        """The job's live processes at monotonic time `now` (refreshing first when one is due)."""
        deep_due = now >= self._next_deep or (
            now >= self._next_fast and (self.root is None or not _children_files)
        )
        if deep_due:
            self._deep_refresh()
            self._next_deep = now + DEEP_REFRESH_S
            self._next_fast = now + FAST_REFRESH_S
        elif now >= self._next_fast:
            self._fast_refresh()
            self._next_fast = now + FAST_REFRESH_S
        return [p for _, p in self._procs.values()]

    def _keep(self, pid: int, start: int | None, proc: psutil.Process | None = None) -> None:
        known = self._procs.get(pid)
        if known is not None and (known[0] == start or start is None or known[0] is None):
            return
        try:
            self._procs[pid] = (start, proc or psutil.Process(pid))
        except psutil.Error:
            self._procs.pop(pid, None)

    def _deep_refresh(self) -> None:
        self.deep_refreshes += 1
        current = {p.pid: p for p in self.tree.members()}
        for pid in list(self._procs):
            if pid not in current:
                del self._procs[pid]
        for pid, p in current.items():
            st = read_stat(pid) if self.root is not None else None
            self._keep(pid, st.start if st else None, p)

    def _fast_refresh(self) -> None:
        """Descendants of the root and of every known member, read from the kernel's children lists."""
        self.fast_refreshes += 1
        stack = list(self._procs)
        if self.root is not None:
            stack.append(self.root)
        found: dict[int, int] = {}
        while stack:
            pid = stack.pop()
            if pid in found:
                continue
            st = read_stat(pid)
            if st is None or st.zombie:  # gone, or exited and holding nothing
                continue
            known = self._procs.get(pid)
            if known is not None and known[0] is not None and known[0] != st.start:
                continue  # the pid now names an unrelated process; its own children are not ours
            if pid == self.root and st.start != self._root_start:
                continue
            found[pid] = st.start
            kids = _children(pid)
            if kids is None:  # no children files after all: fall back to the set's own walk
                self._deep_refresh()
                return
            stack.extend(kids)
        for pid in list(self._procs):
            if pid not in found:
                del self._procs[pid]
        for pid, start in found.items():
            self._keep(pid, start)

    # ---- usage ------------------------------------------------------------------------------------
    def usage(self, now: float) -> tuple[int, float, set[int]]:
        """(RSS bytes, CPU % where 100 = one core, live pids) over the members at monotonic `now`: one
        /proc/<pid>/stat read per member. CPU % is over the time since the previous call (0.0 the first
        time a process is seen, as psutil's cpu_percent)."""
        if not HAS_PROC:
            return tree_usage([p for _, p in self._procs.values()])
        rss, cpu, pids = 0, 0.0, set()
        for pid, (start, _) in list(self._procs.items()):
            st = read_stat(pid)
            if st is None or st.zombie or (start is not None and st.start != start):
                continue
            prev = self._cpu_prev.get(pid)
            if prev is not None and prev[0] == st.start and now > prev[1]:
                cpu += 100.0 * (st.cpu_ticks - prev[2]) / _CLK_TCK / (now - prev[1])
            self._cpu_prev[pid] = (st.start, now, st.cpu_ticks)
            rss += st.rss_pages * _PAGE
            pids.add(pid)
        for pid in [p for p in self._cpu_prev if p not in pids]:
            del self._cpu_prev[pid]
        return rss, cpu, pids

    # ---- GPU processes ----------------------------------------------------------------------------
    def owns(self, pid: int) -> bool:
        """Is this GPU process (from NVML's list) part of the job? A member, or a process whose parents
        lead to one. A process found this way becomes a member (its RSS and CPU count from now on)."""
        if pid in self._procs:
            return True
        if self.root is None:  # a fixed set: exactly its members
            return False
        st = read_stat(pid)
        if st is None:
            return False
        decided = self._decided.get(pid)
        if decided is not None and decided[0] == st.start:
            return decided[1]
        ours = self._leads_to_job(pid, st)
        if len(self._decided) > 4096:  # pids come and go on a busy GPU box: keep the cache bounded
            self._decided.clear()
        # A process that is not ours now never becomes ours: reparenting only ever moves a process
        # away from its ancestors, and a session or an exec-time environment does not change.
        self._decided[pid] = (st.start, ours)
        if ours:
            self._keep(pid, st.start)
        return ours

    def _leads_to_job(self, pid: int, st: ProcStat) -> bool:
        if st.sid == self.root:  # the root leads its own session: a double-forked daemon keeps it
            return True
        cur = st
        for _ in range(MAX_PARENT_HOPS):
            if cur.ppid in self._procs:  # the root is one while it lives
                return True
            if cur.ppid <= 1:
                break
            parent = read_stat(cur.ppid)
            if parent is None:
                break
            cur = parent
        return self.marker is not None and _has_marker(pid, self.marker)


def ancestor_in(pid: int, roots: Container[int]) -> int | None:
    """`pid` itself or its nearest ancestor that is one of `roots` (walking /proc/<pid>/stat parents, a
    few reads), or None: which job a GPU process belongs to, without walking the whole process table."""
    if not HAS_PROC:
        try:
            chain = [pid, *(p.pid for p in psutil.Process(pid).parents())]
        except psutil.Error:
            return None
        return next((p for p in chain if p in roots), None)
    cur: int | None = pid
    for _ in range(MAX_PARENT_HOPS):
        if cur is None or cur <= 0:
            return None
        if cur in roots:
            return cur
        st = read_stat(cur)
        cur = st.ppid if st is not None else None
    return None
