"""The numbers a report shows per job, where each comes from, and how it was measured.

The runs engine writes metrics.json per job; key names are matched through aliases so a report keeps
working across small renames, and derived values (RTF, unit conversions) are computed here once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MetricDef:
    key: str
    label: str
    unit: str
    how: str  # how it was measured: the report's legend / footnote
    better: str | None = None  # "lower" | "higher" | None
    digits: int = 2


METRICS: tuple[MetricDef, ...] = (
    MetricDef(
        "wall_s",
        "Time",
        "s",
        "Wall-clock seconds from spawning the job's process to its exit (monotonic clock). Includes the "
        "upstream script's model loading and its own preprocessing; thtui's input preparation and output "
        "validation are not counted.",
        "lower",
        1,
    ),
    MetricDef(
        "audio_s",
        "Audio",
        "s",
        "Duration of the prepared audio the system was given (ffmpeg probe).",
        None,
        2,
    ),
    MetricDef(
        "rtf",
        "RTF",
        "×",
        "Real-time factor = Time ÷ Audio. 1.0 means one second of compute per second of speech; lower is faster.",
        "lower",
        2,
    ),
    MetricDef(
        "peak_vram_gb",
        "Peak VRAM",
        "GiB",
        "Peak GPU memory of the job, sampled through NVML while it ran: the sum of NVML per-process memory "
        "over the job's process tree, or, where NVML cannot see the job's PIDs (containers, MIG), the "
        "device's memory growth since just before the job started. Spikes shorter than a sample can be missed.",
        "lower",
        2,
    ),
    MetricDef(
        "energy_wh",
        "Energy",
        "Wh",
        "GPU energy while the job ran: the difference of NVML's total-energy counter (or, where the board has "
        "none, power samples integrated over time). Whole-device: other work on that GPU is included.",
        "lower",
        3,
    ),
    MetricDef(
        "mean_gpu_util",
        "GPU util",
        "%",
        "Mean NVML device utilisation while the job ran (device-level, not per process).",
        None,
        0,
    ),
)
METRIC_BY_KEY = {m.key: m for m in METRICS}
# Shown once in a report's header (one audio drives every job of a case), not as a table column.
HEADER_ONLY = frozenset({"audio_s"})

SUCCESS_HOW = (
    "Success: the process exited 0 and left a playable result.mp4 (video and audio streams) that the runs "
    "engine validated; otherwise the failure class and first error line are shown."
)

_GiB = 1024**3


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if f == f else None  # NaN -> None


def _pick(m: dict[str, Any], *candidates: tuple[str, Callable[[float], float]]) -> float | None:
    for key, convert in candidates:
        v = _num(_dig(m, key))
        if v is not None:
            return convert(v)
    return None


def _dig(m: dict[str, Any], dotted: str) -> Any:
    cur: Any = m
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _same(v: float) -> float:
    return v


def normalise(raw: dict[str, Any]) -> dict[str, float | None]:
    """metrics.json (whatever its exact key names) -> the report's keys, in their report units."""
    out: dict[str, float | None] = {
        "wall_s": _pick(
            raw,
            ("wall_s", _same),
            ("elapsed_s", _same),
            ("duration_s", _same),
            ("time_s", _same),
            ("runtime_s", _same),
            ("timing.wall_s", _same),
        ),
        "audio_s": _pick(raw, ("audio_s", _same), ("audio_seconds", _same), ("audio_duration_s", _same)),
        "rtf": _pick(raw, ("rtf", _same), ("real_time_factor", _same)),
        "peak_vram_gb": _pick(
            raw,
            ("vram_peak_mb", lambda mb: mb / 1024),
            ("vram_peak_job_mb", lambda mb: mb / 1024),
            ("peak_vram_gb", _same),
            ("peak_vram_bytes", lambda b: b / _GiB),
            ("vram_peak_bytes", lambda b: b / _GiB),
            ("peak_vram_mb", lambda mb: mb / 1024),
            ("peak_vram_mib", lambda mb: mb / 1024),
            ("vram_peak_mb", lambda mb: mb / 1024),
            ("gpu.peak_vram_bytes", lambda b: b / _GiB),
        ),
        "energy_wh": _pick(
            raw,
            ("energy_wh", _same),
            ("energy_j", lambda j: j / 3600),
            ("energy_joules", lambda j: j / 3600),
            ("energy_mj", lambda mj: mj / 3.6e6),
            ("gpu.energy_j", lambda j: j / 3600),
        ),
        "mean_gpu_util": _pick(
            raw,
            ("gpu_util_mean_pct", _same),
            ("mean_gpu_util", _same),
            ("gpu_util_mean", _same),
            ("gpu_util_pct", _same),
        ),
    }
    if out["rtf"] is None and out["wall_s"] is not None and out["audio_s"]:
        out["rtf"] = out["wall_s"] / out["audio_s"]
    return out


def fmt_value(key: str, value: float | None) -> str:
    if value is None:
        return "—"
    d = METRIC_BY_KEY[key].digits if key in METRIC_BY_KEY else 2
    return f"{value:.{d}f}"


def method_notes(jobs_metrics: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """How this run's numbers were actually taken, where the method varies per job: e.g.
    'Peak VRAM attribution — process: sadtalker, wav2lip; device-delta: echomimic'."""
    notes = []
    for key, title in (("vram_attribution", "Peak VRAM attribution"), ("energy_method", "Energy method")):
        groups: dict[str, list[str]] = {}
        for label, raw in jobs_metrics:
            method = raw.get(key)
            if method:
                groups.setdefault(str(method), []).append(label)
        if groups:
            notes.append(
                f"{title} — " + "; ".join(f"{m}: {', '.join(labels)}" for m, labels in groups.items())
            )
    rates = {raw.get("sample_rate_hz") for _, raw in jobs_metrics if raw.get("sample_rate_hz")}
    if rates:
        notes.append("Monitor sampling rate: " + ", ".join(f"{r:g} Hz" for r in sorted(rates)))
    return notes


def audio_seconds(values: list[dict[str, float | None]]) -> str:
    """'2.00 s', or '2.00–3.10 s' when a run has several input cases; '' when unknown."""
    found = sorted({round(v["audio_s"], 2) for v in values if v.get("audio_s") is not None})
    if not found:
        return ""
    return f"{found[0]:.2f} s" if len(found) == 1 else f"{found[0]:.2f}–{found[-1]:.2f} s"
