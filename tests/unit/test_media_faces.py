"""Offline face detection (dlib HOG, model inside the dlib-bin wheel) and head-square geometry."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_factory import PORTRAIT, make_blank_image, make_drawn_face, make_no_face_image, make_portrait
from PIL import Image

from thtui.core import faces
from thtui.core.media import load_image
from thtui.core.media.image import Box


def test_asset_portrait_face_is_found() -> None:
    face = faces.best_face(load_image(PORTRAIT))
    assert face is not None
    # The astronaut's face sits in the upper middle of the 512x512 photo.
    cx, cy = face.center
    assert 180 < cx < 270 and 100 < cy < 170
    assert 60 < face.box.width < 130


def test_drawn_face_is_found(tmp_path: Path) -> None:
    assert faces.best_face(load_image(make_drawn_face(tmp_path / "d.png", 256))) is not None


@pytest.mark.parametrize("maker", [make_blank_image, make_no_face_image])
def test_no_face_in_faceless_pictures(tmp_path: Path, maker) -> None:
    assert faces.detect_faces(load_image(maker(tmp_path / "x.png"))) == []


def test_large_photo_is_detected_on_a_downscaled_copy(tmp_path: Path) -> None:
    big = Image.open(PORTRAIT).resize((3000, 3000))
    face = faces.best_face(big)
    assert face is not None
    assert 1050 < face.center[0] < 1600  # coordinates mapped back to the full-size image


def test_small_face_needs_the_upsampling_pass(tmp_path: Path) -> None:
    face = faces.best_face(load_image(make_portrait(tmp_path / "s.png", size=256)))  # face ~44 px
    assert face is not None


def test_head_box_is_square_inside_and_contains_the_face() -> None:
    face = faces.Face(Box(10, 20, 100, 100), 1.0, "test")
    box = faces.head_box(face, (300, 200))
    assert box.width == box.height == 200  # 2x face, capped by the image height
    assert box.left >= 0 and box.top >= 0 and box.right <= 300 and box.bottom <= 200
    assert box.left <= 10 and box.right >= 110 and box.top <= 20


def test_detector_name_names_dlib() -> None:
    assert faces.detector_name().startswith("dlib HOG")


def test_without_dlib_the_fallback_or_a_clear_error(monkeypatch) -> None:
    def no_dlib(self) -> None:
        raise ImportError("No module named 'dlib'")

    monkeypatch.setattr(faces._DlibHog, "__init__", no_dlib)
    faces._detector.cache_clear()
    try:
        try:
            name = faces.detector_name()
        except faces.FaceDetectorUnavailable as exc:  # OpenCV >= 5 ships no Haar cascades
            assert str(exc).startswith("no face detector available (pip install dlib-bin): dlib HOG")
        else:
            assert name.startswith("OpenCV Haar")  # OpenCV 4.x: the cascade in cv2.data
            assert faces.best_face(load_image(PORTRAIT)) is not None
    finally:
        faces._detector.cache_clear()
