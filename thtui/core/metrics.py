"""Per-job metrics and their statistics over repeats. Every number says how it was measured.

Definitions (also written into each metrics.json under "definitions"):

- wall_s: seconds from spawning the job's process to its exit (the harness's own work before and after,
  output validation included, is not counted).
- audio_s: duration of the prepared audio the system was given.
- rtf (real-time factor) = wall_s / audio_s. 1.0 means one second of compute per second of speech;
  below 1.0 is faster than real time. Lower is better.
- vram_peak_mb / vram_mean_mb: the job's own GPU memory, per `vram_attribution`:
  "process" = sum of NVML per-process memory over the job's process tree; "device-delta" = device memory
  used minus its value just before the job started (containers without PID visibility, MIG).
- vram_peak_device_mb / vram_mean_device_mb: memory used on the whole device while the job ran.
- gpu_util_mean: mean NVML device utilisation while the job ran (device-level, not per process).
- energy_j: device energy while the job ran; `energy_method` is "nvml-energy-counter" (difference of the
  driver's total-energy counter) or "power-integration" (trapezoid over power samples) or "unavailable",
  or "shared-gpu" (a packed job that shared its GPU: no per-job energy; see thtui.core.jobs.packing).
- rss_peak_mb: peak resident memory of the job's process tree: the larger of the sampled tree sum and
  the kernel's max RSS of the largest single process (wait4).
- cpu_time_s: user + system CPU seconds of the root and the children it waited for (wait4).
All sampled values come from the monitor at `sample_rate_hz`; spikes shorter than a sample can be missed.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

DEFINITIONS: dict[str, str] = {
    "wall_s": "seconds from spawning the job's process to its exit",
    "audio_s": "duration of the prepared audio given to the system",
    "rtf": "real-time factor = wall_s / audio_s (lower is faster; 1.0 = real time)",
    "vram_peak_mb": "peak GPU memory of the job (see vram_attribution)",
    "vram_mean_mb": "mean GPU memory of the job over its samples (see vram_attribution)",
    "vram_peak_device_mb": "peak memory used on the whole device while the job ran",
    "vram_mean_device_mb": "mean memory used on the whole device while the job ran",
    "gpu_util_mean": "mean NVML device utilisation while the job ran (device-level)",
    "energy_j": "device energy while the job ran (see energy_method)",
    "rss_peak_mb": "peak resident memory of the job's process tree (sampled sum, or wait4 max RSS if larger)",
    "cpu_time_s": "user+system CPU seconds of the job (wait4 rusage)",
}

# Numbers that get mean ± σ over repeats, with their units.
REPEATED: dict[str, str] = {
    "wall_s": "s",
    "rtf": "x",
    "vram_peak_mb": "MiB",
    "vram_peak_device_mb": "MiB",
    "gpu_util_mean": "%",
    "energy_j": "J",
    "rss_peak_mb": "MiB",
    "cpu_time_s": "s",
}


@dataclass(frozen=True)
class JobMetrics:
    status: str  # "ok" | "failed" | "cancelled"
    exit_code: int | None
    failure_class: str | None
    failure_message: str | None
    wall_s: float | None
    audio_s: float | None
    rtf: float | None
    vram_peak_mb: float | None
    vram_mean_mb: float | None
    vram_peak_device_mb: float | None
    vram_mean_device_mb: float | None
    vram_attribution: str  # "process" | "device-delta" | "none"
    vram_attribution_note: str
    gpu_index: int | None
    gpu_util_mean: float | None
    energy_j: float | None
    energy_method: str
    rss_peak_mb: float | None
    cpu_time_s: float | None
    sample_rate_hz: float
    n_samples: int
    warmup: bool = False
    repeat: int = 1
    extra: dict[str, Any] = field(default_factory=dict)  # leftovers killed, output path, validation notes

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["definitions"] = DEFINITIONS
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobMetrics:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


def real_time_factor(wall_s: float | None, audio_s: float | None) -> float | None:
    """wall_s / audio_s; None when either is unknown or the audio has no length."""
    if wall_s is None or not audio_s or audio_s <= 0:
        return None
    return wall_s / audio_s


@dataclass(frozen=True)
class Stats:
    n: int
    mean: float
    stdev: float  # sample standard deviation (n-1); 0.0 for a single value
    min: float
    max: float
    unit: str = ""

    def text(self, fmt: str = "{:.2f}") -> str:
        """e.g. '12.31 ± 0.42 s (11.90…12.80, n=3)'."""
        unit = f" {self.unit}" if self.unit else ""
        if self.n == 1:
            return f"{fmt.format(self.mean)}{unit}"
        return (
            f"{fmt.format(self.mean)} ± {fmt.format(self.stdev)}{unit} "
            f"({fmt.format(self.min)}…{fmt.format(self.max)}, n={self.n})"
        )


def stats(values: list[float], unit: str = "") -> Stats | None:
    vals = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    if not vals:
        return None
    sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
    return Stats(len(vals), statistics.fmean(vals), sd, min(vals), max(vals), unit)


def aggregate(jobs: list[JobMetrics]) -> dict[str, Stats]:
    """mean ± σ, min/max per metric over the successful, timed (non-warm-up) jobs."""
    timed = [j for j in jobs if j.status == "ok" and not j.warmup]
    out: dict[str, Stats] = {}
    for name, unit in REPEATED.items():
        s = stats([getattr(j, name) for j in timed], unit)
        if s is not None:
            out[name] = s
    return out
