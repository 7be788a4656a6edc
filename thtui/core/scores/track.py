"""One face pass: detect, then follow the face with 68 landmarks from frame to frame.

Detection (dlib HOG, through thtui.core.faces) is the slow part (~20 ms on a 512 px frame), the landmark
fit is ~2 ms. So the detector runs on a downscaled copy, only every `detect_every` frames, and between
detections the face box comes from the previous frame's landmarks. The landmark box is mapped back to the
detector's box convention (calibrated on the detection that started the track), so the landmark model
always sees the kind of box it was trained on and no periodic jump appears every `detect_every` frames.
A periodic detection that no longer finds a face near the tracked one ends the track.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from thtui.core.scores.models import LOCK, shape_predictor

if TYPE_CHECKING:
    import numpy as np

DETECT_SIDE = 360  # the detector sees frames scaled to this longest side (faces down to ~40 px remain)
DETECT_EVERY = 10


@dataclass
class FrameFace:
    points: np.ndarray  # (68, 2) float32, pixel coordinates of the decoded frame
    shape: Any  # dlib.full_object_detection: what the descriptor model wants


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


class FaceTracker:
    """Feed frames in order with `step`; each returns the frame's face or None."""

    def __init__(self, detect_every: int = DETECT_EVERY, detect_side: int = DETECT_SIDE) -> None:
        self.detect_every = detect_every
        self.detect_side = detect_side
        self._box: tuple[float, float, float, float] | None = None  # detector-style box, tracked
        self._calib: tuple[float, float, float, float] | None = None
        self._index = 0
        self._misses = 0  # validations in a row that found no face near the tracked one
        self.detections = 0  # how often the detector ran (benchmark and tests read it)

    def _detect(self, rgb: np.ndarray) -> tuple[float, float, float, float] | None:
        import cv2

        from thtui.core.faces import detect_faces

        h, w = rgb.shape[:2]
        scale = min(1.0, self.detect_side / max(h, w))
        small = rgb if scale == 1.0 else cv2.resize(rgb, (round(w * scale), round(h * scale)), cv2.INTER_AREA)
        self.detections += 1
        faces = detect_faces(small)
        if not faces:
            return None
        b = faces[0].box
        return (b.left / scale, b.top / scale, (b.left + b.width) / scale, (b.top + b.height) / scale)

    def _detect_near(
        self, rgb: np.ndarray, box: tuple[float, float, float, float]
    ) -> tuple[float, float, float, float] | None:
        """Confirm the tracked face on a crop twice its size, scaled so the face is ~100 px wide: the
        detector's cost no longer depends on the frame size."""
        import cv2

        from thtui.core.faces import detect_faces

        h, w = rgb.shape[:2]
        bw, bh = box[2] - box[0], box[3] - box[1]
        x0, y0 = int(max(0, box[0] - bw / 2)), int(max(0, box[1] - bh / 2))
        x1, y1 = int(min(w, box[2] + bw / 2)), int(min(h, box[3] + bh / 2))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        scale = min(1.0, 100.0 / max(bw, 1.0))
        crop = rgb[y0:y1, x0:x1]
        if scale < 1.0:
            crop = cv2.resize(crop, (round((x1 - x0) * scale), round((y1 - y0) * scale)), cv2.INTER_AREA)
        self.detections += 1
        faces = detect_faces(crop)
        if not faces:
            return None
        b = faces[0].box
        return (
            x0 + b.left / scale,
            y0 + b.top / scale,
            x0 + (b.left + b.width) / scale,
            y0 + (b.top + b.height) / scale,
        )

    def _fit(self, rgb: np.ndarray, box: tuple[float, float, float, float]) -> tuple[np.ndarray, Any]:
        import dlib
        import numpy as np

        rect = dlib.rectangle(*(int(round(v)) for v in box))
        with LOCK:
            shape = shape_predictor()(rgb, rect)
        pts = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
        return pts, shape

    def _box_from_points(self, pts: np.ndarray) -> tuple[float, float, float, float]:
        x0, y0 = pts.min(axis=0)
        x1, y1 = pts.max(axis=0)
        w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        c = self._calib or (0.0, 0.0, 0.0, 0.0)
        return (x0 + c[0] * w, y0 + c[1] * h, x1 + c[2] * w, y1 + c[3] * h)

    def _start(self, rgb: np.ndarray, found: tuple[float, float, float, float]) -> tuple[np.ndarray, Any]:
        """A new track from a detection: fit, and calibrate landmark box -> detector box on it."""
        pts, shape = self._fit(rgb, found)
        x0, y0 = (float(v) for v in pts.min(axis=0))
        x1, y1 = (float(v) for v in pts.max(axis=0))
        w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        self._calib = ((found[0] - x0) / w, (found[1] - y0) / h, (found[2] - x1) / w, (found[3] - y1) / h)
        return pts, shape

    def step(self, rgb: np.ndarray) -> FrameFace | None:
        i = self._index
        self._index += 1
        periodic = i % self.detect_every == 0
        if self._box is None:
            if not periodic:
                return None  # lost: look again at the next detection frame only (bounded cost)
            found = self._detect(rgb)
            if found is None:
                return None
            pts, shape = self._start(rgb, found)
            self._misses = 0
        else:
            found = self._detect_near(rgb, self._box) if periodic else None
            if periodic and found is None:
                found = self._detect(rgb)  # the crop can cut a moved face: look at the whole frame
            if periodic and found is None:
                # HOG misses a tilted or turned face now and then: drop the track only after two
                # validations in a row find nothing.
                self._misses += 1
                if self._misses >= 2:
                    self._box = None
                    return None
            elif periodic:
                self._misses = 0
            if found is not None and _iou(found, self._box) < 0.3:
                pts, shape = self._start(rgb, found)  # another face, or the same one far away
            else:
                pts, shape = self._fit(rgb, self._box)
        box = self._box_from_points(pts)
        h, w = rgb.shape[:2]
        if box[2] - box[0] < 12 or box[2] < 0 or box[3] < 0 or box[0] > w or box[1] > h:
            self._box = None  # the face left the frame
            return None
        self._box = box
        return FrameFace(pts, shape)
