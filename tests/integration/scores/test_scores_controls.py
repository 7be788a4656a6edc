"""The offline scores on controls made from the repo's portrait and speech (see score_controls.py)."""

from __future__ import annotations

import numpy as np
import pytest
from score_controls import N, sinus_deg

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["synced", "jawflap"])
def test_synced_jaw_warp_has_zero_offset_and_high_corr(scored, name) -> None:
    s = scored(name)
    assert s.face_found == 1.0
    assert abs(s.lipsync_offset_frames) <= 1
    assert s.lipsync_corr > 0.6
    assert s.identity_distance < 0.6


@pytest.mark.parametrize(("name", "expected"), [("delayed", 10), ("advanced", -10)])
def test_audio_shift_of_0_4_s_reads_as_10_frames_with_the_stated_sign(scored, name, expected) -> None:
    s = scored(name)
    assert abs(s.lipsync_offset_frames - expected) <= 1, s.lipsync_offset_frames
    assert abs(s.lipsync_offset_ms - expected * 40) <= 40


@pytest.mark.parametrize("name", ["still", "other"])
def test_still_and_wrongly_driven_mouths_correlate_far_less(scored, name) -> None:
    synced = scored("synced").lipsync_corr
    s = scored(name)
    assert s.lipsync_corr is not None
    assert s.lipsync_corr < synced - 0.3, (s.lipsync_corr, synced)


def test_still_head_is_flagged_frozen_and_still_landmarks_do_not_jitter(scored) -> None:
    assert scored("still").head_frozen is True
    assert scored("still").jitter < 0.5
    assert scored("roll").head_frozen is False
    assert scored("synced").head_frozen is True  # a moving jaw alone is no head motion
    assert scored("blinks").head_frozen is True  # nor are closing eyelids


def test_injected_head_roll_is_measured_within_a_degree(scored) -> None:
    s = scored("roll")
    injected = sinus_deg(N, 5.0)
    roll = np.array([np.nan if v is None else v for v in s.series["roll_deg"]])
    ok = np.isfinite(roll)
    assert ok.mean() > 0.9
    # cv2's angle is counter-clockwise in the image; the roll sign is the camera's: compare magnitudes
    sign = np.sign(np.corrcoef(roll[ok], injected[ok])[0, 1])
    err = sign * (roll[ok] - np.mean(roll[ok])) - (injected[ok] - np.mean(injected[ok]))
    assert np.sqrt(np.mean(err**2)) < 1.0
    assert abs(s.head_roll_std_deg - np.std(injected)) < 1.0


def test_painted_blinks_are_counted(scored) -> None:
    s = scored("blinks")
    assert s.blink_count == 3
    assert s.blinks_per_min == pytest.approx(3 / (N / 25 / 60))
    assert scored("synced").blink_count == 0


def test_video_without_audio_gets_a_partial_result_naming_what_is_missing(scored) -> None:
    s = scored("silent")
    assert s.lipsync_corr is None and s.lipsync_offset_frames is None
    assert "no audio" in s.missing["lipsync_corr"]
    assert s.face_found == 1.0 and s.identity_distance is not None
    assert any("no audio" in m for m in s.messages)
    assert not [k for k, why in s.missing.items() if why == "not computed"], s.missing


def test_a_30_fps_copy_keeps_offset_zero(controls, tmp_path) -> None:
    """The fps *filter* resamples to 25 fps without the ~1.5-frame shift `-r 25` gave (metrics.md §1)."""
    import subprocess

    from thtui.core import tools
    from thtui.core.scores import score_video

    copy = tmp_path / "synced30.mp4"
    argv = [tools.ffmpeg().path, "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    argv += ["-i", str(controls["synced"]), "-vf", "fps=30", "-c:v", "libx264", "-b:v", "100k"]
    subprocess.run([*argv, "-c:a", "aac", str(copy)], check=True)
    s = score_video(copy, controls["portrait"])
    assert abs(s.lipsync_offset_frames) <= 1 and s.lipsync_corr > 0.6, (
        s.lipsync_offset_frames,
        s.lipsync_corr,
    )
