"""Why the offline CPBD is absent (thtui/core/scores/scorer.py): a face smaller than a 64-px tile is padded
to one and measured, so "under 64 px" can only be the frame; and a video whose faces all fall between the
frames sampled for sharpness/CPBD says that, not "no edge measured"."""

from __future__ import annotations

import numpy as np
import pytest
from cpbd_synthetic import bars

from thtui.core.scores.appearance import face_cpbd
from thtui.core.scores.frame_pass import PassResult
from thtui.core.scores.result import VideoScores
from thtui.core.scores.scorer import _fill, _PortraitFace


def _stripes(h: int, w: int) -> np.ndarray:
    grey = bars(1.0, size=max(h, w))[:h, :w]  # vertical bars with graded edges: CPBD has edges to measure
    return np.repeat(grey[:, :, None], 3, axis=2)


def _box_points(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]] * 17, dtype=np.float32)  # 68 points


def test_a_face_under_one_tile_is_padded_to_it_and_a_frame_under_64_px_is_not_measured() -> None:
    assert face_cpbd(_stripes(200, 200), _box_points(90, 90, 120, 120)) is not None  # a 30-px face
    assert face_cpbd(_stripes(48, 200), _box_points(90, 10, 120, 40)) is None  # the frame is 48 px high


def _fill_with(p: PassResult) -> VideoScores:
    scores = VideoScores(video="/v.mp4", portrait="/p.png", audio=None, width=200, height=200)
    src = type("Src", (), {"source_fps": 25.0, "width": 200, "height": 200})()
    _fill(scores, p, src, None, _PortraitFace(None, None, "no portrait here"))
    return scores


def _points(n: int, faces: list[int]) -> np.ndarray:
    points = np.full((n, 68, 2), np.nan, dtype=np.float32)
    rng = np.random.default_rng(0)
    for i in faces:
        points[i] = rng.uniform(60, 140, size=(68, 2))
    return points


def test_faces_only_between_the_sampled_frames_say_so() -> None:
    """50 frames, one sampled every 10: the faces on frames 3-7 never meet a sampled frame."""
    scores = _fill_with(PassResult(_points(50, [3, 4, 5, 6, 7]), every=10))
    assert scores.cpbd is None
    assert scores.missing["cpbd"] == "no face on the sampled frames (one every 10 of 50)"


def test_sampled_faces_without_a_cpbd_blame_edges_or_the_frame_size_not_the_face() -> None:
    scores = _fill_with(PassResult(_points(50, [0, 10]), every=10, sampled=[0, 10], face_widths=[80.0, 80.0]))
    assert scores.cpbd is None
    why = scores.missing["cpbd"]
    assert why == "no edge measured on the sampled faces (a flat face region, or a frame under 64 px)"
    assert "under 64 px)" in why and "flat, or under 64 px" not in why


def test_a_measured_cpbd_has_no_reason() -> None:
    scores = _fill_with(PassResult(_points(50, [0, 10]), every=10, sampled=[0, 10], cpbd=[0.25, 0.35]))
    assert scores.cpbd == pytest.approx(0.3) and "cpbd" not in scores.missing


def test_a_portrait_face_without_edges_says_flat_or_too_small() -> None:
    from thtui.core.scores.scorer import _portrait_cpbd

    scores = VideoScores(video="/v.mp4", portrait="/p.png", audio=None)
    flat = np.full((200, 200, 3), 128, np.uint8)
    face = _PortraitFace(None, 1.0, None, flat, _box_points(60, 60, 140, 140))
    _portrait_cpbd(scores, PassResult(_points(1, [0]), every=1), face)
    assert scores.cpbd_portrait is None
    assert scores.missing["cpbd_portrait"] == (
        "no edge measured on the portrait's face (a flat face region, or a portrait under 64 px)"
    )
