"""Metrics: the real-time factor and repeat statistics (mean ± σ, min/max, warm-up excluded)."""

from __future__ import annotations

import json

import pytest

from thtui.core.metrics import DEFINITIONS, JobMetrics, aggregate, real_time_factor, stats


def m(wall: float, status: str = "ok", warmup: bool = False) -> JobMetrics:
    return JobMetrics(
        status=status, exit_code=0, failure_class=None, failure_message=None, wall_s=wall, audio_s=2.0,
        rtf=real_time_factor(wall, 2.0), vram_peak_mb=1000.0 + wall, vram_mean_mb=None, vram_peak_device_mb=None,
        vram_mean_device_mb=None, vram_attribution="process", vram_attribution_note="", gpu_index=0,
        gpu_util_mean=None, energy_j=None, energy_method="unavailable", rss_peak_mb=None, cpu_time_s=None,
        sample_rate_hz=4.0, n_samples=1, warmup=warmup,
    )  # fmt: skip


def test_rtf_is_wall_over_audio() -> None:
    assert real_time_factor(10.0, 4.0) == 2.5
    assert real_time_factor(10.0, 0) is None and real_time_factor(None, 4.0) is None


def test_aggregate_excludes_warmup_and_failures() -> None:
    jobs = [m(20.0, warmup=True), m(10.0), m(12.0), m(14.0), m(1.0, status="failed")]
    agg = aggregate(jobs)
    wall = agg["wall_s"]
    assert (wall.n, wall.mean, wall.min, wall.max) == (3, 12.0, 10.0, 14.0)
    assert wall.stdev == pytest.approx(2.0)  # sample standard deviation
    assert agg["rtf"].mean == pytest.approx(6.0) and "energy_j" not in agg  # nothing measured: no entry
    assert wall.text() == "12.00 ± 2.00 s (10.00…14.00, n=3)"
    assert stats([5.0]).text() == "5.00" and stats([]) is None


def test_metrics_json_carries_its_definitions() -> None:
    data = m(3.0).to_json()
    assert data["definitions"] == DEFINITIONS and "wall_s / audio_s" in data["definitions"]["rtf"]
    assert JobMetrics.from_json(json.loads(json.dumps(data))) == m(3.0)
