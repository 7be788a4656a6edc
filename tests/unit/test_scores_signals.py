"""Score arithmetic on synthetic signals: lag sign, absent-not-zero, blink counting, JSON shape."""

from __future__ import annotations

import json

import numpy as np
import pytest

from thtui.core.scores import METRICS, VideoScores
from thtui.core.scores.lipsync import lipsync, loudness_envelope
from thtui.core.scores.motion import count_blinks, jitter


def _loudness(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.convolve(rng.normal(size=n + 4), np.ones(5) / 5, "valid")[:n]


@pytest.mark.parametrize("delay", [0, 7, -7])
def test_audio_delayed_by_d_frames_gives_offset_plus_d(delay: int) -> None:
    loud = _loudness(200)
    mouth = np.roll(loud, -delay)  # audio delayed by d: the mouth leads it by d frames
    mouth[: max(0, -delay)] = np.nan
    mouth[len(mouth) - max(0, delay) :] = np.nan
    found = lipsync(mouth, loud, 25)
    assert not isinstance(found, str)
    assert found.offset_frames == delay
    assert found.offset_ms == delay * 40
    assert found.corr > 0.99 and found.confidence > 0.5


def test_constant_mouth_or_silence_is_a_reason_not_a_zero() -> None:
    loud = _loudness(100)
    assert "never moves" in lipsync(np.full(100, 0.2), loud, 25)
    assert "constant" in lipsync(loud, np.zeros(100), 25)


def test_too_few_face_frames_is_a_reason() -> None:
    mouth = _loudness(100)
    mouth[20:] = np.nan
    assert "fewer than" in lipsync(mouth, _loudness(100, 2), 25)


def test_loudness_envelope_follows_the_signal_and_marks_the_end_absent() -> None:
    rate = 16000
    t = np.arange(rate) / rate
    tone = np.sin(2 * np.pi * 440 * t) * (t > 0.5)
    env = loudness_envelope(tone, rate, 30, 25)
    assert env[20] - env[5] > 5  # silence vs tone, in log10 energy
    assert np.isnan(env[-1])  # 30 frames = 1.2 s, the audio lasts 1 s


def test_blinks_are_runs_below_the_adaptive_threshold() -> None:
    ear = np.full(100, 0.3)
    for start in (10, 40, 70):
        ear[start : start + 3] = 0.1
    ear[41] = 0.29  # a one-frame rise inside a blink does not split it
    ear[55] = np.nan  # a frame without a face is not a blink
    assert count_blinks(ear) == 3


def test_jitter_ignores_steady_motion_and_sees_shake() -> None:
    n = 50
    base = np.zeros((68, 2), dtype=np.float32)
    base[36:42] = (100, 100)
    base[42:48] = (160, 100)
    steady = np.stack([base + (i * 2.0, 0) for i in range(n)])
    shaky = steady + np.random.default_rng(0).normal(scale=2.0, size=steady.shape)
    assert jitter(steady) < 1e-6
    assert jitter(shaky) > 2.0


def test_finish_names_every_absent_score_and_json_keeps_them_absent() -> None:
    s = VideoScores(video="v.mp4", portrait="p.png", audio=None, face_found=0.5, lipsync_corr=float("nan"))
    s.mark_missing(("identity_distance",), "no face found in the portrait p.png")
    s.finish()
    assert s.missing["identity_distance"] == "no face found in the portrait p.png"
    assert s.missing["psnr"] == "no reference video given (--reference)"
    data = json.loads(s.dumps())
    assert data["face_found"] == 0.5
    assert data["lipsync_corr"] is None  # NaN is absent, not a number, and says so
    assert data["missing"]["lipsync_corr"] == "not a finite number"
    assert data["identity_distance"] is None and data["blinks_per_min"] is None
    assert set(data["metrics"]) == set(METRICS)
    assert all(info["direction"] in "↑↓→0·" for info in data["metrics"].values())
    assert VideoScores.from_json(data).face_found == 0.5
