"""Immutable readings the monitor produces. Every value that a machine may not report is `None`, never 0:
"no power sensor" and "0 W" are different facts, and panels must be able to tell them apart."""

from __future__ import annotations

from dataclasses import dataclass

from thtui.core.events import Event

MiB = 1024 * 1024

Attribution = str  # "process" | "device-delta" | "none" (no GPU watched)


@dataclass(frozen=True)
class GpuReading:
    """One device at one instant, as a GPU backend reports it."""

    index: int
    name: str
    util_pct: float | None  # device utilisation (NVML "GPU busy" over its last sample period)
    mem_used: int | None  # bytes
    mem_total: int | None  # bytes
    temp_c: float | None
    power_w: float | None
    # Cumulative energy counter since driver load (mJ); None when unsupported, and in the sampler's
    # per-sample readings of NVML, which skip this dear query (a job's own start/end reads have it).
    energy_mj: int | None


@dataclass(frozen=True)
class GpuProcessReading:
    """One process's memory on one device (NVML compute + graphics running processes)."""

    pid: int
    gpu_index: int
    used_bytes: int | None  # None where the driver does not say (MIG, WDDM)


@dataclass(frozen=True)
class HostReading:
    cpu_pct: float  # whole machine, 0..100
    cpu_count: int
    ram_used: int  # bytes
    ram_total: int  # bytes


@dataclass(frozen=True)
class JobUsage:
    """A watched job's share at one instant. `vram_bytes` follows `attribution`: the sum of the job's
    processes' NVML memory ("process"), or the device's growth since the job started ("device-delta")."""

    job_id: str
    gpu_index: int | None
    vram_bytes: int | None
    vram_process_bytes: int | None  # NVML per-process sum over the job's tree (None if not visible)
    vram_delta_bytes: int | None  # device memory used minus its value just before the job started
    attribution: Attribution
    rss_bytes: int  # sum over the job's process tree
    cpu_pct: float  # sum over the tree (100 = one core)
    n_procs: int
    gpu_indices: tuple[int, ...] = ()  # every GPU the job holds (a multi-GPU job: several; summed above)


@dataclass(frozen=True)
class MonitorSnapshot(Event):
    """Emitted by the Monitor at its sampling rate: every GPU, the host, and every watched job.

    `gpu_error` says why GPU panels are empty (no NVIDIA GPU, NVML missing); `pids_visible` is False when
    NVML lists processes none of which exist in our PID namespace (a container): jobs then fall back to
    device deltas."""

    t: float  # time.monotonic() of the reading
    gpus: tuple[GpuReading, ...]
    host: HostReading
    jobs: tuple[JobUsage, ...]
    gpu_error: str | None = None
    pids_visible: bool = True

    def job(self, job_id: str) -> JobUsage | None:
        return next((j for j in self.jobs if j.job_id == job_id), None)


@dataclass(frozen=True)
class JobSample:
    """One row of a job's samples.csv / samples table."""

    t: float  # seconds since the job started
    gpu_util_pct: float | None
    vram_job_mb: float | None
    vram_device_mb: float | None
    power_w: float | None
    rss_mb: float
    cpu_pct: float
    n_procs: int

    CSV_FIELDS = (
        "t",
        "gpu_util_pct",
        "vram_job_mb",
        "vram_device_mb",
        "power_w",
        "rss_mb",
        "cpu_pct",
        "n_procs",
    )
