"""Host readings via psutil: whole-machine CPU and RAM, and the RSS/CPU of one job's process tree."""

from __future__ import annotations

from typing import Protocol

import psutil

from thtui.core.monitor.snapshots import HostReading


class ProcessSet(Protocol):
    """Anything that can list a job's live processes (thtui.core.jobs.proctree.ProcessTree does)."""

    def members(self) -> list[psutil.Process]: ...


class HostSampler:
    def __init__(self) -> None:
        psutil.cpu_percent(interval=None)  # the first call only primes the counter
        self._cpu_count = psutil.cpu_count() or 1

    def read(self) -> HostReading:
        vm = psutil.virtual_memory()
        return HostReading(
            cpu_pct=float(psutil.cpu_percent(interval=None)),
            cpu_count=self._cpu_count,
            ram_used=int(vm.total - vm.available),
            ram_total=int(vm.total),
        )


def tree_usage(procs: list[psutil.Process]) -> tuple[int, float, set[int]]:
    """(sum of RSS bytes, sum of CPU %, live pids) over a process list. cpu_percent() compares with the
    previous call on the same Process object, so callers keep their Process objects between samples."""
    rss, cpu, pids = 0, 0.0, set()
    for p in procs:
        try:
            with p.oneshot():
                rss += p.memory_info().rss
                cpu += p.cpu_percent(interval=None)
            pids.add(p.pid)
        except psutil.Error:
            continue
    return rss, cpu, pids
