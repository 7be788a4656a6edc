"""What the face looks like: identity descriptor, sharpness and flicker, measured per frame.

- Identity: dlib's 128-d ResNet descriptor (LFW 99.38 %) of the face, Euclidean distance to the source
  portrait's descriptor. Same person < 0.6 by dlib's convention. Not CSIM (that name means ArcFace cosine).
- Sharpness: variance of the Laplacian of the grey face crop (landmark box, rescaled to 128 px wide so
  resolution does not decide), divided by the same number on the portrait. Content-dependent: an open
  mouth raises it.
- CPBD (thtui.core.scores.cpbd, the metric papers report for sharpness): on the face region at the video's
  own resolution, the landmark box grown to whole 64-px CPBD tiles around its centre (every pixel of the
  face falls in a tile; the reference drops partial tiles). Papers' published CPBD and the usual
  evaluation scripts measure whole grey frames instead: not the same measurement (background and hair
  count there), so the values are not directly comparable. The portrait's face is
  measured at its own resolution: resizing it to the video's face width blurred edges by itself.
- Flicker: mean absolute grey-level change between consecutive frames of the upper face (eyes, brows,
  nose bridge) after aligning it on the eye centres, so head motion does not count as flicker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from thtui.core.scores.models import LOCK, face_descriptor_model

if TYPE_CHECKING:
    import numpy as np

CROP_WIDTH = 128
RESIZE_TOLERANCE = 0.02  # face_cpbd leaves a picture this close to scale 1 as it is: a resize only blurs
PATCH = (64, 40)  # upper-face patch (w, h); eye centres land at (16, 24) and (48, 24)


def descriptor(rgb: np.ndarray, shape: Any) -> np.ndarray:
    import numpy as np

    with LOCK:
        vec = face_descriptor_model().compute_face_descriptor(np.ascontiguousarray(rgb), shape)
    return np.asarray(vec, dtype=np.float32)


def sharpness(rgb: np.ndarray, points: np.ndarray) -> float | None:
    import cv2
    import numpy as np

    x0, y0 = np.floor(points.min(axis=0)).astype(int)
    x1, y1 = np.ceil(points.max(axis=0)).astype(int)
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    grey = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    scale = CROP_WIDTH / (x1 - x0)
    grey = cv2.resize(grey, (CROP_WIDTH, max(8, round((y1 - y0) * scale))), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def face_width(points: np.ndarray) -> float:
    return float(points[:, 0].max() - points[:, 0].min())


def face_tiles(grey: np.ndarray, points: np.ndarray) -> np.ndarray | None:
    """The face's landmark box grown to whole CPBD tiles (64 px) about its centre, kept inside the image;
    None when the image is smaller than one tile."""
    import numpy as np

    from thtui.core.scores.cpbd import BLOCK

    h, w = grey.shape[:2]
    lo, hi = points.min(axis=0), points.max(axis=0)
    box = []
    for a, b, size in ((lo[0], hi[0], w), (lo[1], hi[1], h)):
        span = min(int(np.ceil((b - a) / BLOCK)) * BLOCK or BLOCK, size // BLOCK * BLOCK)
        if span < BLOCK:
            return None
        start = int(round((a + b) / 2 - span / 2))
        start = min(max(start, 0), size - span)
        box.append((start, start + span))
    (x0, x1), (y0, y1) = box
    return grey[y0:y1, x0:x1]


def face_cpbd(rgb: np.ndarray, points: np.ndarray, scale: float = 1.0) -> float | None:
    """CPBD of the face region (see the module docstring); `scale` resizes the picture first (the portrait
    to the video's face width). None when no edge could be measured or the face is under one tile."""
    import cv2
    import numpy as np

    from thtui.core.scores.cpbd import cpbd

    grey = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    if abs(scale - 1.0) > RESIZE_TOLERANCE:
        h, w = grey.shape
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        points = points * scale
    crop = face_tiles(grey, points)
    return None if crop is None else cpbd(crop)


def upper_face_patch(rgb: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Grey patch of the eyes and brows, aligned by a similarity transform on the eye centres."""
    import cv2
    import numpy as np

    left = points[36:42].mean(axis=0)
    right = points[42:48].mean(axis=0)
    src = np.array([left, right], dtype=np.float32)
    dst = np.array([(16.0, 24.0), (48.0, 24.0)], dtype=np.float32)
    m, _ = cv2.estimateAffinePartial2D(src, dst)
    if m is None:
        # Two points define the similarity exactly; estimateAffinePartial2D only fails on equal points.
        m = np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float64)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return cv2.warpAffine(grey, m, PATCH, flags=cv2.INTER_LINEAR).astype(np.float32)
