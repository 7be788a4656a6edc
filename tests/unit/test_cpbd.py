"""CPBD (thtui/core/scores/cpbd.py): the reference package's numbers on frozen synthetic images, blur
ordering, defined behaviour where nothing can be measured, and the face region it is measured on."""

from __future__ import annotations

import cpbd_synthetic as syn
import cv2
import numpy as np
import pytest
from media_factory import PORTRAIT

from thtui.core.scores.appearance import face_cpbd, face_tiles
from thtui.core.scores.cpbd import cpbd

# `cpbd.compute` of the PyPI package cpbd 1.0.7 (scikit-image 0.26.0, SciPy 1.18.1) on
# cpbd_synthetic.images(), printed by benchmarks/cpbd_check.py; the package is not a dependency.
REFERENCE = {
    "bars_x0.5": 0.75,
    "bars_x1": 0.5,
    "bars_x1.5": 0.21761658031088082,
    "bars_x3": 0.0,
    "bars_low_contrast_x1": 0.6237623762376238,
    "bars_low_contrast_x2": 0.2346368715083799,
    "waves_x1": 0.5532583093431038,
    "waves_x1.5": 0.022580645161290325,
    "disc_0.5px": 0.9,
    "disc_2px": 0.0,
    "bars_x1_200x150": 0.6666666666666666,
}
# The reference returns 0.0 where it measured no edge; thtui says None (absent): nothing was measured.
NOTHING_TO_MEASURE = ("flat", "small_48px")


def test_reference_numbers_on_synthetic_images() -> None:
    images = syn.images()
    assert set(images) == set(REFERENCE) | set(NOTHING_TO_MEASURE)
    ours = {name: cpbd(images[name]) for name in REFERENCE}
    # Equal up to float summation order (the same edges counted the same way).
    assert ours == pytest.approx(REFERENCE, abs=1e-9)


@pytest.mark.parametrize("name", NOTHING_TO_MEASURE)
def test_nothing_to_measure_is_none_not_zero(name: str) -> None:
    assert cpbd(syn.images()[name]) is None


def test_wider_edges_score_lower() -> None:
    values = [cpbd(syn.bars(s)) for s in (0.5, 1, 1.5, 3)]
    assert values == sorted(values, reverse=True) and values[0] > values[-1]
    assert cpbd(syn.disc(0.5)) > cpbd(syn.disc(2))


def test_blurring_the_portrait_face_lowers_cpbd_step_by_step() -> None:
    grey = cv2.cvtColor(cv2.imread(str(PORTRAIT)), cv2.COLOR_BGR2GRAY)
    face = grey[100:228, 160:288]  # the portrait's face, two tiles square
    values = [cpbd(face)]
    for sigma in (0.5, 1.0, 2.0, 3.0):
        values.append(
            cpbd(np.round(cv2.GaussianBlur(face.astype(np.float64), (0, 0), sigma)).astype(np.uint8))
        )
    assert all(b < a for a, b in zip(values, values[1:], strict=False)), values
    assert values[0] > 0.3 and values[-1] < 0.02


def test_float_input_on_the_0_255_scale_gives_the_same_number() -> None:
    img = syn.bars(1)
    assert cpbd(img.astype(np.float32)) == cpbd(img)


def test_colour_input_is_refused() -> None:
    with pytest.raises(ValueError, match="2-D grey"):
        cpbd(np.zeros((64, 64, 3), dtype=np.uint8))


def test_face_region_grows_to_whole_tiles_about_the_face_and_stays_inside() -> None:
    grey = np.arange(300 * 400, dtype=np.int64).reshape(300, 400).astype(np.uint8)
    points = np.array([[100.0, 50.0], [190.0, 160.0]])  # a 90 x 110 px box
    region = face_tiles(grey, points)
    assert region is not None and region.shape == (128, 128)
    # Centred on the box's centre (145, 105): columns 81..208, rows 41..168.
    assert np.array_equal(region, grey[41:169, 81:209])
    near_edge = face_tiles(grey, np.array([[350.0, 250.0], [399.0, 299.0]]))
    assert near_edge is not None and np.array_equal(near_edge, grey[236:300, 336:400])  # shifted inside
    assert face_tiles(grey[:50], points) is None  # the image is under one tile


def test_face_cpbd_resizes_before_measuring() -> None:
    rgb = cv2.cvtColor(cv2.imread(str(PORTRAIT)), cv2.COLOR_BGR2RGB)
    points = np.array([[180.0, 110.0], [272.0, 220.0]])  # around the portrait's face
    same = face_cpbd(rgb, points)
    assert same == cpbd(face_tiles(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), points))
    assert face_cpbd(rgb, points, 1.01) == same  # within 2 %: not resized
    assert face_cpbd(rgb, points, 0.5) is not None  # a 46-px face: measured in the one tile around it
    assert face_cpbd(rgb, points, 0.1) is None  # the whole picture (51 px) is under one tile
    upscaled = face_cpbd(rgb, points, 2.0)  # interpolation spreads every edge over more pixels
    assert upscaled is not None and upscaled < same
