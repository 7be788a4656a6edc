"""Host readings via psutil: whole-machine CPU and RAM, and the RSS/CPU of one job's process tree."""

from __future__ import annotations

from typing import Protocol

import psutil

from thtui.core.monitor.snapshots import HostReading


class ProcessSet(Protocol):
    """Anything that can list a job's live processes (thtui.core.jobs.proctree.ProcessTree does)."""

    def members(self) -> list[psutil.Process]: ...


# Host CPU and RAM are read at most this often; samples in between repeat the last reading. At 10 Hz,
# psutil.virtual_memory() (all of /proc/meminfo parsed) was the largest single cost of a sample, and
# panels showing whole-machine CPU and RAM gain nothing from more than two readings a second.
HOST_PERIOD_S = 0.5


class HostSampler:
    def __init__(self) -> None:
        psutil.cpu_percent(interval=None)  # the first call only primes the counter
        self._cpu_count = psutil.cpu_count() or 1
        self._last: tuple[float, HostReading] | None = None

    def read(self, now: float | None = None) -> HostReading:
        """Whole-machine CPU % (since the previous reading) and RAM. With `now` (monotonic), a reading
        younger than HOST_PERIOD_S is returned again instead of a new one."""
        if now is not None and self._last is not None and now - self._last[0] < HOST_PERIOD_S:
            return self._last[1]
        vm = psutil.virtual_memory()
        reading = HostReading(
            cpu_pct=float(psutil.cpu_percent(interval=None)),
            cpu_count=self._cpu_count,
            ram_used=int(vm.total - vm.available),
            ram_total=int(vm.total),
        )
        if now is not None:
            self._last = (now, reading)
        return reading


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
