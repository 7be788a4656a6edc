"""Item 6: a video without a face, without audio, under a second or at an unusable frame rate gives a
partial result naming what is missing and why; a file that is no video at all is one clear error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from media_factory import make_text_file, make_video

from thtui.core.media.errors import InputError
from thtui.core.scores import METRICS, score_video
from thtui.core.scores.result import NO_REASON


def assert_every_absent_score_says_why(s) -> None:
    """No absent score carries the bare fallback reason: each names what was missing."""
    bare = sorted(name for name, why in s.missing.items() if why == NO_REASON)
    assert bare == [], f"bare '{NO_REASON}' for {bare}: {s.missing}"
    assert {k for k, v in s.values().items() if v is None} <= set(s.missing)


pytestmark = pytest.mark.slow


def test_video_without_a_face_scores_face_found_zero_and_names_the_rest_missing(controls, tmp_path) -> None:
    video = make_video(tmp_path / "noface.mp4", seconds=2.4, size=160)
    s = score_video(video, controls["portrait"])
    assert s.face_found == 0.0
    assert s.face_gap_frames == s.frames == 60
    for name in ("lipsync_corr", "identity_distance", "head_roll_std_deg", "blinks_per_min", "jitter"):
        assert getattr(s, name) is None
        assert s.missing[name] == "no face found in any frame"
    assert any("no face" in m for m in s.messages)
    assert set(s.missing) | {k for k, v in s.values().items() if v is not None} == set(METRICS)
    assert_every_absent_score_says_why(s)


def test_video_under_a_second_is_scored_partially(controls, tmp_path) -> None:
    import cv2
    from score_controls import write_video

    rgb = cv2.cvtColor(cv2.imread(str(controls["portrait"])), cv2.COLOR_BGR2RGB)
    video = write_video(tmp_path / "short.mp4", [rgb] * 13, controls["speech"])
    s = score_video(video, controls["portrait"])
    assert s.frames == 13 and s.face_found == 1.0
    assert s.identity_distance is not None and s.identity_distance < 0.6
    assert s.lipsync_corr is None and "needs at least 1.48 s (37 frames" in s.missing["lipsync_corr"]
    assert s.blinks_per_min is None
    assert any("< 1 s" in m for m in s.messages)
    # Each absent score says why in its own words, with the video's length and what it needs.
    for name in ("blinks_per_min", "blink_count", "jitter", "flicker", "lipsync_corr"):
        assert getattr(s, name) is None
        assert s.missing[name].startswith("the video is 0.52 s: "), s.missing[name]
    assert "blinks need at least 1 s" in s.missing["blinks_per_min"]
    assert "jitter and flicker" in s.missing["jitter"]
    assert_every_absent_score_says_why(s)


def test_frame_rate_below_10_fps_refuses_timing_scores(controls, tmp_path) -> None:
    import cv2
    from score_controls import write_video

    rgb = cv2.cvtColor(cv2.imread(str(controls["portrait"])), cv2.COLOR_BGR2RGB)
    video = write_video(tmp_path / "slow.mp4", [rgb] * 12, controls["speech"], fps=4)
    s = score_video(video, controls["portrait"])
    assert s.face_found == 1.0 and s.head_roll_std_deg is not None
    for name in ("lipsync_corr", "blinks_per_min", "jitter", "flicker", "head_speed_deg_s"):
        assert getattr(s, name) is None
        assert "below 10 fps" in s.missing[name]
    assert_every_absent_score_says_why(s)


def test_not_a_video_is_one_clear_error(controls, tmp_path) -> None:
    notes = make_text_file(tmp_path / "notes.mp4")
    with pytest.raises(InputError, match="notes.mp4"):
        score_video(notes, controls["portrait"])
    with pytest.raises(InputError, match="still image"):
        score_video(controls["portrait"], controls["portrait"])


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "thtui", "score", *args], capture_output=True, text=True, timeout=240
    )


def test_cli_json_has_the_promised_top_level_keys_and_no_traceback(controls) -> None:
    proc = _cli("--video", str(controls["silent"]), "--image", str(controls["portrait"]), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    for key in (
        "face_found",
        "lipsync_offset_frames",
        "lipsync_corr",
        "identity_distance",
        "head_roll_std_deg",
        "blinks_per_min",
        "sharpness_ratio",
        "jitter",
    ):
        assert key in data
    assert data["face_found"] == 1.0
    assert data["lipsync_corr"] is None and "no audio" in data["missing"]["lipsync_corr"]
    assert "+d x fps" in data["lipsync_sign_convention"]
    assert data["metrics"]["identity_distance"]["direction"] == "↓"


def test_cli_external_audio_and_reference(controls) -> None:
    proc = _cli(
        "--video",
        str(controls["silent"]),
        "--image",
        str(controls["portrait"]),
        "--audio",
        str(controls["speech"]),
        "--reference",
        str(controls["synced"]),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert abs(data["lipsync_offset_frames"]) <= 1 and data["lipsync_corr"] > 0.6
    assert data["psnr"] > 35 and data["ssim"] > 0.95 and data["lmd"] < 1.0


def test_cli_bad_paths_exit_2_with_one_line(controls, tmp_path: Path) -> None:
    proc = _cli("--video", str(tmp_path / "missing.mp4"), "--image", str(controls["portrait"]))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "video not found" in proc.stderr
    proc = _cli("--video", str(controls["synced"]), "--image", str(make_text_file(tmp_path / "face.png")))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "face.png" in proc.stderr


def test_portrait_without_a_face_leaves_identity_and_sharpness_ratio_missing(controls, tmp_path) -> None:
    from media_factory import make_no_face_image

    s = score_video(controls["synced"], make_no_face_image(tmp_path / "landscape.png"))
    assert s.identity_distance is None and s.sharpness_ratio is None
    assert "no face found in the portrait" in s.missing["identity_distance"]
    assert s.lipsync_corr is not None and s.sharpness is not None  # the video's own scores still there


def test_cli_without_image_says_what_is_needed(controls) -> None:
    proc = _cli("--video", str(controls["synced"]))
    assert proc.returncode == 2 and "--image" in proc.stderr and "Traceback" not in proc.stderr
