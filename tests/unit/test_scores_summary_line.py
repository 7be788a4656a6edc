"""The one-line 'scored' summary: an absent headline score says why in a few words, and at a given width
the line breaks between items, never inside one ('identity 0.201,' / 'face 1.00' stay whole)."""

from __future__ import annotations

import pytest

from thtui.cli.score_run import scored_line
from thtui.core.scores.pipeline import JobScored
from thtui.core.scores.result import brief_reason

JOB = "20261202-140932-c886/jawflap"
SHORT = "the video is 1.20 s: lip-sync needs at least 1.48 s (37 frames: lags ±12 with 25 overlapping frames at each)"


def _event(values: dict, missing: dict | None = None) -> JobScored:
    base = {
        "lipsync_corr": None,
        "lipsync_offset_frames": None,
        "identity_distance": 0.201,
        "face_found": 1.0,
    }
    return JobScored(JOB, "ok", {**base, **values}, None, missing or {})


@pytest.mark.parametrize(
    ("reason", "brief"),
    [
        (SHORT, "video under 1.48 s"),
        ("the video is 0.52 s: blinks need at least 1 s (a rate per minute ...)", "video under 1 s"),
        ("the video has no audio track (give --audio)", "no audio"),
        ("the mouth never moves (its opening is constant): correlation undefined", "mouth never moves"),
        ("no face found in the portrait p.jpg", "no face in the portrait"),
        ("no face found in any frame", "no face in the video"),
        ("source frame rate 4 fps is below 10 fps: 25 fps frames would be duplicates", "under 10 fps"),
        (None, "no reason recorded"),
        ("something new and rather long that nobody mapped yet: details", "something new and rather long…"),
    ],
)
def test_brief_reason(reason, brief) -> None:
    assert brief_reason(reason) == brief


def test_absent_lipsync_says_why_instead_of_dashes() -> None:
    line = scored_line(_event({}, {"lipsync_corr": SHORT}))
    assert "lip-sync — (video under 1.48 s)," in line
    assert "at — frames" not in line and "r —" not in line


def test_absent_identity_and_face_say_why() -> None:
    e = _event({"identity_distance": None, "face_found": None},
               {"identity_distance": "no face found in the portrait p.jpg",
                "face_found": "no frames could be decoded from the video"})  # fmt: skip
    line = scored_line(e)
    assert "identity — (no face in the portrait)," in line and "face — (no frames decoded)" in line


def test_at_80_columns_the_line_breaks_between_items() -> None:
    e = _event({"lipsync_corr": 0.87, "lipsync_offset_frames": 0})
    one = scored_line(e)
    assert one == f"scored   {JOB}: lip-sync r 0.87 at +0 frames, identity 0.201, face 1.00"
    assert len(one) > 80
    lines = scored_line(e, 80).splitlines()
    assert lines == [f"scored   {JOB}: lip-sync r 0.87 at +0 frames,", "         identity 0.201, face 1.00"]
    absent = scored_line(_event({}, {"lipsync_corr": SHORT}), 80).splitlines()
    assert absent == [
        f"scored   {JOB}: lip-sync — (video under 1.48 s),",
        "         identity 0.201, face 1.00",
    ]
    assert all(len(x) <= 80 for x in lines + absent)


def test_a_missing_result_wraps_its_reason_between_words() -> None:
    e = JobScored(JOB, "missing", {}, "could not score: " + "word " * 30)
    lines = scored_line(e, 80).splitlines()
    assert len(lines) > 1 and all(len(x) <= 80 for x in lines)
    assert lines[0].startswith(f"scored   {JOB}: no scores (could not score:")
