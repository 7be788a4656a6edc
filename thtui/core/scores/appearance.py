"""What the face looks like: identity descriptor, sharpness and flicker, measured per frame.

- Identity: dlib's 128-d ResNet descriptor (LFW 99.38 %) of the face, Euclidean distance to the source
  portrait's descriptor. Same person < 0.6 by dlib's convention. Not CSIM (that name means ArcFace cosine).
- Sharpness: variance of the Laplacian of the grey face crop (landmark box, rescaled to 128 px wide so
  resolution does not decide), divided by the same number on the portrait. CPBD is not computed (0.6 s per
  frame here, and the `cpbd` package breaks on current SciPy). Content-dependent: an open mouth raises it.
- Flicker: mean absolute grey-level change between consecutive frames of the upper face (eyes, brows,
  nose bridge) after aligning it on the eye centres, so head motion does not count as flicker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from thtui.core.scores.models import LOCK, face_descriptor_model

if TYPE_CHECKING:
    import numpy as np

CROP_WIDTH = 128
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
