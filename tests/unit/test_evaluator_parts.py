"""The evaluator's torch-free parts (thtui/evaluator), run in thtui's own interpreter: MFCCs equal to
python_speech_features 0.6 (golden values it printed for this signal), the face tracks and crops of the
standard pipeline, S3FD's priors and NMS, and a package whose module tops import the standard library only
(the env has no thtui; thtui's interpreter has no torch)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from thtui.evaluator import mfcc, s3fd, tracks

# python_speech_features.mfcc(x, 16000) of the signal below, rows 0, 10 and 48 (printed by the package).
GOLDEN = {
    0: [17.773938, 22.724956, 9.147847, 1.925872, 2.510892, 1.13163, -10.400433, -26.241842, -29.648885,
        -21.248224, -14.833217, -20.082228, -25.089741],
    10: [18.352826, 20.537207, -3.946269, -5.170457, 15.115046, 19.709806, -8.856606, -41.183336, -39.211799,
         -13.237706, -1.54105, -17.488191, -32.377995],
    48: [19.075405, 16.999045, -10.390776, -8.36156, 17.787881, 24.888866, -5.537821, -40.439588, -38.8911,
         -11.591842, 1.552913, -13.417567, -28.514657],
}  # fmt: skip


def _signal() -> np.ndarray:
    t = np.arange(8000) / 16000
    wave = 8000 * np.sin(2 * np.pi * 220 * t) + 3000 * np.sin(2 * np.pi * 1250 * t + 0.3) * (t * 4 % 1)
    return np.round(wave).astype(np.int16)


def test_mfcc_equals_python_speech_features() -> None:
    out = mfcc.mfcc(_signal())
    assert out.shape == (49, 13)  # 1 + ceil((8000 - 400) / 160) frames of 25 ms every 10 ms
    for row, values in GOLDEN.items():
        np.testing.assert_allclose(out[row], values, atol=2e-5)


def test_silence_gives_finite_cepstra() -> None:
    out = mfcc.mfcc(np.zeros(1600, np.int16))
    assert np.isfinite(out).all() and out.shape == (9, 13)


def _face(x: float, side: float = 150) -> np.ndarray:
    return np.array([[x, 50, x + side, 50 + side, 0.99]])


def test_tracks_link_interpolate_and_split() -> None:
    none = np.zeros((0, 5))
    dets = [_face(100 + f) if f % 3 else none for f in range(60)]  # every third frame missed
    dets += [none] * 30  # a gap of 30 > 25 missed frames ends the track
    dets += [_face(300) for _ in range(40)]
    found = tracks.build_tracks(dets, min_track=20)
    assert [(t.start, len(t)) for t in found] == [(1, 59), (90, 40)]
    filled = found[0].boxes[found[0].frames == 3][0]  # frame 3 was missed: interpolated
    assert filled[0] == pytest.approx(103)


def test_short_or_small_faces_make_no_track() -> None:
    assert tracks.build_tracks([_face(10, side=80) for _ in range(50)], min_track=20) == []  # < 100 px
    assert tracks.build_tracks([_face(10) for _ in range(20)], min_track=20) == []  # not > 20 frames


def test_medfilt_pads_with_zeros_like_scipy() -> None:
    x = [5.0, 1, 9, 3, 7, 2, 8, 6, 4, 10, 11, 0, 3, 5, 2]
    # scipy.signal.medfilt(x, 13), printed by scipy
    assert tracks.medfilt(x).tolist() == [
        1.0,
        2.0,
        3.0,
        4.0,
        5.0,
        5.0,
        5.0,
        5.0,
        5.0,
        4.0,
        4.0,
        3.0,
        3.0,
        2.0,
        0.0,
    ]


def test_crop_is_224_bgr_and_padded_with_grey_110() -> None:
    rgb = np.zeros((200, 200, 3), np.uint8)
    rgb[:, :, 0] = 200  # red in RGB
    face = tracks.crop(rgb, 60, 10, 100)  # centre near the left edge: padding shows
    assert face.shape == (224, 224, 3)
    assert (face[112, 0] == 110).all()  # the left edge is the grey pad
    assert face[112, 200, 2] == 200 and face[112, 200, 0] == 0  # BGR: red is the last channel


def test_s3fd_priors_and_nms() -> None:
    pri = s3fd.priors([(32, 32), (16, 16), (8, 8), (4, 4), (2, 2), (1, 1)], 128, 128)
    assert pri.shape == (1365, 4)
    assert pri[0].tolist() == pytest.approx([2 / 128, 2 / 128, 16 / 128, 16 / 128])
    assert pri[-1].tolist() == pytest.approx([64 / 128, 64 / 128, 512 / 128, 512 / 128])
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    assert s3fd.nms(boxes, np.array([0.9, 0.95, 0.5]), 0.1) == [1, 2]


def test_module_tops_import_only_the_standard_library() -> None:
    heavy = {"numpy", "cv2", "torch", "onnxruntime", "scipy", "thtui"}
    for path in sorted(Path(mfcc.__file__).parent.glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                assert not {n.split(".")[0] for n in names} & heavy, f"{path.name}: {ast.unparse(node)}"


def test_scrfd_decodes_one_face_and_aligns_it_onto_the_template() -> None:
    from thtui.evaluator import scrfd

    outs = []
    for stride in scrfd.STRIDES:
        n = (640 // stride) ** 2 * 2
        outs.append(np.zeros((n, 1), np.float32))
    hit = (10 * 80 + 20) * 2  # stride 8, row 10, column 20, first anchor: centre (160, 80)
    outs[0][hit, 0] = 0.9
    for stride in scrfd.STRIDES:
        outs.append(np.full(((640 // stride) ** 2 * 2, 4), 2.0, np.float32))  # 2 strides to each side
    for stride in scrfd.STRIDES:
        outs.append(np.zeros(((640 // stride) ** 2 * 2, 10), np.float32))
    outs[6][hit] = [-1, -1, 1, -1, 0, 0, -1, 1, 1, 1]
    boxes, points = scrfd.decode(outs, scale=0.5)  # the picture was scaled by 0.5 into the canvas
    assert boxes.shape == (1, 5) and boxes[0, 4] == pytest.approx(0.9)
    assert boxes[0, :4].tolist() == pytest.approx([288, 128, 352, 192])  # (160 -+ 16, 80 -+ 16) / 0.5
    assert points[0, 0].tolist() == pytest.approx([304, 144])  # (160 - 8, 80 - 8) / 0.5
    rgb = np.zeros((120, 120, 3), np.uint8)
    rgb[50:54, 36:40] = 255  # a bright patch at the template's left eye
    face = scrfd.align(rgb, np.array(scrfd.TEMPLATE))  # points already on the template: no warp
    assert face.shape == (112, 112, 3) and face[51, 37].tolist() == [255, 255, 255]
