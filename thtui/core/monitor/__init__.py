"""Live GPU and host monitoring: one sampler thread, immutable snapshots, per-job accounting.

Public API (for the CLI, the TUI and the job runner):

- `open_backend(kind="auto"|"fake"|"none") -> GpuBackend`: NVML when it initialises, else a
  `NullGpuBackend` whose `.error` says why (the host panels still work). `FakeGpuBackend` is scriptable.
- `Monitor(backend, rate_hz=4.0, history=1200)`: `.start()`, `.stop()`, `.subscribe(cb, max_hz=None)`
  (returns an unsubscribe function), `.history()`, `.latest`, `.sample_once()`;
  per job: `.watch(job_id, gpu_index) -> JobWatch`, `JobWatch.attach(process_tree)`,
  `.unwatch(job_id) -> JobUsageStats`.

Event (a frozen dataclass deriving from thtui.core.events.Event, delivered to subscribers on the
sampler thread):

- `MonitorSnapshot(t, gpus: tuple[GpuReading], host: HostReading, jobs: tuple[JobUsage], gpu_error,
  pids_visible)`. `GpuReading`: index, name, util_pct (device utilisation), mem_used/mem_total
  (bytes), temp_c, power_w, energy_mj. `HostReading`: cpu_pct, cpu_count, ram_used/ram_total.
  `JobUsage`: job_id, gpu_index, vram_bytes with its `attribution` ("process" | "device-delta" |
  "none"), rss_bytes and cpu_pct of the job's process tree, n_procs. Unknown values are None, never 0.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Lazy exports (PEP 562): the store reads `thtui.core.monitor.snapshots` for `thtui runs`, which must not
# pay for psutil and the sampler (start-up budget, issue 10).
_EXPORTS = {
    "FakeDevice": "backends", "FakeGpuBackend": "backends", "GpuBackend": "backends",
    "NullGpuBackend": "backends", "NvmlBackend": "backends", "open_backend": "backends",
    "CONTAINER_NOTE": "sampler", "NO_PROC_MEM_NOTE": "sampler", "Monitor": "sampler",
    "GpuProcessReading": "snapshots", "GpuReading": "snapshots", "HostReading": "snapshots",
    "JobSample": "snapshots", "JobUsage": "snapshots", "MiB": "snapshots", "MonitorSnapshot": "snapshots",
    "JobUsageStats": "watch", "JobWatch": "watch",
}  # fmt: skip

if TYPE_CHECKING:  # for type checkers and editors; at run time __getattr__ below imports on first use
    from thtui.core.monitor.backends import (
        FakeDevice,
        FakeGpuBackend,
        GpuBackend,
        NullGpuBackend,
        NvmlBackend,
        open_backend,
    )
    from thtui.core.monitor.sampler import CONTAINER_NOTE, NO_PROC_MEM_NOTE, Monitor
    from thtui.core.monitor.snapshots import (
        GpuProcessReading,
        GpuReading,
        HostReading,
        JobSample,
        JobUsage,
        MiB,
        MonitorSnapshot,
    )
    from thtui.core.monitor.watch import JobUsageStats, JobWatch

__all__ = [
    "CONTAINER_NOTE",
    "NO_PROC_MEM_NOTE",
    "FakeDevice",
    "FakeGpuBackend",
    "GpuBackend",
    "GpuProcessReading",
    "GpuReading",
    "HostReading",
    "JobSample",
    "JobUsage",
    "JobUsageStats",
    "JobWatch",
    "MiB",
    "Monitor",
    "MonitorSnapshot",
    "NullGpuBackend",
    "NvmlBackend",
    "open_backend",
]
assert sorted(__all__) == sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
