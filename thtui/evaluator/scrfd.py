"""Five facial points for ArcFace alignment, from InsightFace's SCRFD detector (`det_10g.onnx` of buffalo_l)
through onnxruntime, and the similarity warp onto ArcFace's 112x112 template: the standard way CSIM
crops faces. Written from the model's published I/O:

- input: the picture scaled (aspect kept) into a 640x640 canvas at the top left, RGB, (x - 127.5) / 128;
- nine outputs, for strides 8, 16, 32: face scores (n, 1), box distances (n, 4) and point offsets (n, 10),
  in units of the stride, two anchors per cell centred at (col, row) x stride (no half-cell offset);
- faces above 0.5, overlapping ones suppressed at IoU 0.4.
"""

from __future__ import annotations

from typing import Any

SIDE = 640
STRIDES = (8, 16, 32)
# ArcFace's reference points in its 112x112 crop: eye centres, nose tip, mouth corners.
TEMPLATE = (
    (38.2946, 51.6963), (73.5318, 51.5014), (56.0252, 71.7366), (41.5493, 92.3655), (70.7299, 92.2041),
)  # fmt: skip


def prepare(rgb: Any) -> tuple[Any, float]:
    import cv2
    import numpy as np

    h, w = rgb.shape[:2]
    scale = SIDE / max(h, w)
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))))
    canvas = np.zeros((SIDE, SIDE, 3), np.float32)
    canvas[: small.shape[0], : small.shape[1]] = small
    return ((canvas - 127.5) / 128.0).transpose(2, 0, 1)[None], scale


def decode(outputs: list[Any], scale: float, threshold: float = 0.5) -> tuple[Any, Any]:
    """(boxes (n, 5) with score, points (n, 5, 2)) in the picture's pixels."""
    import numpy as np

    from .s3fd import nms

    outs = [np.asarray(o).reshape(-1, np.asarray(o).shape[-1]) for o in outputs]
    boxes, points = [], []
    for i, stride in enumerate(STRIDES):
        scores, dist, kps = outs[i][:, 0], outs[i + 3] * stride, outs[i + 6] * stride
        cells = SIDE // stride
        ys, xs = np.mgrid[:cells, :cells]
        centres = np.repeat(np.stack([xs.ravel(), ys.ravel()], 1) * stride, len(scores) // (cells * cells), 0)
        keep = scores > threshold
        c = centres[keep].astype(np.float32)
        d = dist[keep]
        boxes.append(np.concatenate([c - d[:, :2], c + d[:, 2:], scores[keep, None]], 1))
        points.append(c[:, None, :] + kps[keep].reshape(-1, 5, 2))
    b, p = np.concatenate(boxes), np.concatenate(points)
    if len(b) == 0:
        return b, p
    idx = nms(b[:, :4], b[:, 4], 0.4)
    b, p = b[idx], p[idx]
    b[:, :4] /= scale
    return b, p / scale


def largest_face_points(sess: Any, rgb: Any) -> Any | None:
    """The five points of the biggest face, or None."""
    blob, scale = prepare(rgb)
    boxes, points = decode(sess.run(None, {sess.get_inputs()[0].name: blob}), scale)
    if len(boxes) == 0:
        return None
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return points[int(areas.argmax())]


def align(rgb: Any, points: Any) -> Any:
    """The 112x112 ArcFace crop: the similarity transform that best maps the points onto TEMPLATE."""
    import cv2
    import numpy as np

    matrix, _ = cv2.estimateAffinePartial2D(np.asarray(points, np.float32), np.array(TEMPLATE, np.float32),
                                            method=cv2.LMEDS)  # fmt: skip
    if matrix is None:
        raise ValueError("the five points do not define a face")
    return cv2.warpAffine(rgb, matrix, (112, 112), borderValue=0.0)
