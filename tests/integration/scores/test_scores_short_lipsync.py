"""Lip-sync on clips under 2 s (a one-sentence README example gives ~1.9 s): the lag search narrows to what
25 overlapping frames allow, down to +-12 frames at 37 frames (1.48 s); the range and a lower confidence
are recorded. Below that the reason says how long the video is and what lip-sync needs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from thtui.core import tools
from thtui.core.scores import score_video
from thtui.core.scores.result import NO_REASON

pytestmark = pytest.mark.slow


def cut(src: Path, dest: Path, seconds: float) -> Path:
    argv = [tools.ffmpeg().path, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-i", str(src)]
    argv += [
        "-t",
        str(seconds),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-crf",
        "18",
        "-c:a",
        "aac",
        str(dest),
    ]
    subprocess.run(argv, check=True)
    return dest


@pytest.mark.parametrize(("name", "expected"), [("synced", 0), ("delayed", 10), ("advanced", -10)])
def test_a_1_87_s_clip_gets_lipsync_over_the_full_range(controls, tmp_path, name, expected) -> None:
    s = score_video(cut(controls[name], tmp_path / "c.mp4", 1.87), controls["portrait"])
    assert s.frames == 47
    assert s.lipsync_offset_frames is not None, s.missing.get("lipsync_offset_frames")
    assert abs(s.lipsync_offset_frames - expected) <= 1
    assert s.sampling["lipsync"] == "lags -15..+15 frames"


@pytest.mark.parametrize(("name", "expected"), [("synced", 0), ("delayed", 10), ("advanced", -10)])
def test_a_1_52_s_clip_searches_a_narrower_range_and_says_so(controls, tmp_path, name, expected) -> None:
    s = score_video(cut(controls[name], tmp_path / "c.mp4", 1.52), controls["portrait"])
    assert s.frames == 38
    assert s.lipsync_offset_frames is not None, s.missing.get("lipsync_offset_frames")
    assert abs(s.lipsync_offset_frames - expected) <= 1
    lag = int(s.sampling["lipsync"].split("..+")[1].split()[0])
    assert 12 <= lag < 15
    assert "narrowed: confidence x" in s.sampling["lipsync"]
    assert any(f"searched lags ±{lag} only" in m for m in s.messages)


def test_a_synced_clip_has_less_confidence_when_its_range_is_narrowed(controls, tmp_path) -> None:
    long = score_video(cut(controls["synced"], tmp_path / "a.mp4", 1.87), controls["portrait"])
    short = score_video(cut(controls["synced"], tmp_path / "b.mp4", 1.52), controls["portrait"])
    assert long.lipsync_confidence is not None and short.lipsync_confidence is not None
    assert short.lipsync_confidence < long.lipsync_confidence


def test_under_1_48_s_lipsync_is_absent_with_the_length_and_the_need(controls, tmp_path) -> None:
    s = score_video(cut(controls["synced"], tmp_path / "c.mp4", 1.2), controls["portrait"])
    assert s.frames == 30 and s.lipsync_corr is None
    why = s.missing["lipsync_corr"]
    assert why.startswith("the video is 1.20 s: lip-sync needs at least 1.48 s (37 frames")
    assert NO_REASON not in s.missing.values()
