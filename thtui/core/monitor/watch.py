"""Per-job accounting: what one watched job used, sample by sample, and the summary at its end.

VRAM is attributed two ways on every sample, and the job keeps one of them:
- "process": the sum of NVML's per-process memory over the job's process tree (exact, the default);
- "device-delta": device memory used minus its value just before the job started. Used when NVML's
  process ids are not ours to see (containers without --pid=host), or when it reports no per-process
  memory (MIG, WDDM). Honest only with one job per GPU, which is how the scheduler places jobs unless
  asked to pack them (then a job that shared its GPU reports no device-delta VRAM: jobs/packing.py).

A job that holds several GPUs (torchrun ranks, infer.gpus > 1) is one job: its per-process VRAM is the sum
over every process of its tree on all its GPUs, and its device figures (used memory, power, energy) are
the sums over those GPUs (`combine`), so peak VRAM in its metrics is the whole job's.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from thtui.core.monitor.host import ProcessSet
from thtui.core.monitor.membership import Membership
from thtui.core.monitor.snapshots import GpuReading, JobSample, MiB


@dataclass(frozen=True)
class RawSample:
    t: float  # monotonic
    util_pct: float | None
    vram_process: int | None  # None: not attributable per process at this sample
    vram_delta: int | None
    device_used: int | None
    power_w: float | None
    rss: int
    cpu_pct: float
    n_procs: int
    fallback_reason: str | None


@dataclass(frozen=True)
class JobUsageStats:
    """Summary of one job's resource use. Bytes are bytes; None means "not measured here"."""

    gpu_index: int | None
    attribution: str  # "process" | "device-delta" | "none"
    attribution_note: str
    vram_peak_job: int | None
    vram_mean_job: float | None
    vram_peak_device: int | None
    vram_mean_device: float | None
    vram_device_baseline: int | None
    gpu_util_mean: float | None
    energy_j: float | None
    energy_method: str  # "nvml-energy-counter" | "power-integration" | "unavailable"
    rss_peak: int
    cpu_mean_pct: float | None
    n_samples: int
    rate_hz: float
    samples: tuple[JobSample, ...] = field(repr=False, default=())


def combine(readings: Sequence[GpuReading], indices: Sequence[int]) -> GpuReading | None:
    """The job's GPUs as one device: memory, power and energy summed (None when any GPU does not say),
    utilisation averaged, named and indexed by the first. None unless every index has a reading."""
    found = {r.index: r for r in readings if r.index in indices}
    if not indices or len(found) < len(set(indices)):
        return None
    if len(indices) == 1:
        return found[indices[0]]
    rs = [found[i] for i in dict.fromkeys(indices)]

    def total(values: list) -> int | float | None:
        return None if any(v is None for v in values) else sum(values)

    utils = [r.util_pct for r in rs if r.util_pct is not None]
    temps = [r.temp_c for r in rs if r.temp_c is not None]
    return GpuReading(
        index=rs[0].index,
        name=" + ".join(dict.fromkeys(r.name for r in rs)),
        util_pct=statistics.fmean(utils) if utils else None,
        mem_used=total([r.mem_used for r in rs]),  # type: ignore[arg-type]
        mem_total=total([r.mem_total for r in rs]),  # type: ignore[arg-type]
        temp_c=max(temps) if temps else None,
        power_w=total([r.power_w for r in rs]),
        energy_mj=total([r.energy_mj for r in rs]),  # type: ignore[arg-type]
    )


class JobWatch:
    """Created by Monitor.watch() just before the job spawns (so the device baseline is clean).
    `gpus`: every GPU the job holds (several for a multi-GPU job); `start`: their combined reading."""

    def __init__(self, job_id: str, gpus: Sequence[int], start: GpuReading | None, rate_hz: float, t0: float):
        self.job_id = job_id
        self.gpus = tuple(gpus)
        self.gpu_index = self.gpus[0] if self.gpus else None
        self.start_reading = start
        self.rate_hz = rate_hz
        self.t0 = t0
        self.tree: ProcessSet | None = None
        self.membership: Membership | None = None
        self.raw: list[RawSample] = []
        self._lock = threading.Lock()

    def attach(self, tree: ProcessSet) -> None:
        self.membership = Membership(tree)
        self.tree = tree

    @property
    def baseline(self) -> int | None:
        return self.start_reading.mem_used if self.start_reading else None

    def add(self, sample: RawSample) -> None:
        with self._lock:
            self.raw.append(sample)

    def finish(self, end: GpuReading | None, t_end: float) -> JobUsageStats:
        with self._lock:
            raw = list(self.raw)
        reasons = [r.fallback_reason for r in raw if r.fallback_reason]
        if self.gpu_index is None or self.start_reading is None:
            attribution, note = "none", "no GPU watched for this job"
        elif reasons:
            attribution, note = "device-delta", reasons[0]
        else:
            attribution, note = "process", "sum of NVML per-process memory over the job's process tree"
        if len(self.gpus) > 1 and attribution != "none":
            where = ",".join(map(str, self.gpus))
            note = f"{note}, summed over its {len(self.gpus)} GPUs ({where}: all its ranks)"

        def job_vram(r: RawSample) -> int | None:
            if attribution == "process":
                return r.vram_process or 0
            if attribution == "device-delta":
                return r.vram_delta
            return None

        jobs = [v for r in raw if (v := job_vram(r)) is not None]
        dev = [r.device_used for r in raw if r.device_used is not None]
        utils = [r.util_pct for r in raw if r.util_pct is not None]
        energy, method = self._energy(raw, end, t_end)
        samples = tuple(
            JobSample(
                t=round(r.t - self.t0, 3),
                gpu_util_pct=r.util_pct,
                vram_job_mb=_mb(job_vram(r)),
                vram_device_mb=_mb(r.device_used),
                power_w=r.power_w,
                rss_mb=_mb(r.rss) or 0.0,
                cpu_pct=round(r.cpu_pct, 1),
                n_procs=r.n_procs,
            )
            for r in raw
        )
        return JobUsageStats(
            gpu_index=self.gpu_index,
            attribution=attribution,
            attribution_note=note,
            vram_peak_job=max(jobs) if jobs else None,
            vram_mean_job=statistics.fmean(jobs) if jobs else None,
            vram_peak_device=max(dev) if dev else None,
            vram_mean_device=statistics.fmean(dev) if dev else None,
            vram_device_baseline=self.baseline,
            gpu_util_mean=statistics.fmean(utils) if utils else None,
            energy_j=energy,
            energy_method=method,
            rss_peak=max((r.rss for r in raw), default=0),
            cpu_mean_pct=statistics.fmean(r.cpu_pct for r in raw) if raw else None,
            n_samples=len(raw),
            rate_hz=self.rate_hz,
            samples=samples,
        )

    def _energy(self, raw: list[RawSample], end: GpuReading | None, t_end: float) -> tuple[float | None, str]:
        start = self.start_reading
        if start is None or end is None:
            return None, "unavailable"
        if start.energy_mj is not None and end.energy_mj is not None:
            return max(0, end.energy_mj - start.energy_mj) / 1000.0, "nvml-energy-counter"
        points = [(self.t0, start.power_w), *((r.t, r.power_w) for r in raw), (t_end, end.power_w)]
        points = [(t, p) for t, p in points if p is not None]
        if len(points) < 2:
            return None, "unavailable"
        joules = sum(
            (t1 - t0) * (p0 + p1) / 2 for (t0, p0), (t1, p1) in zip(points, points[1:], strict=False)
        )
        return joules, "power-integration"


def _mb(value: int | float | None) -> float | None:
    return None if value is None else round(value / MiB, 1)
