"""Offline face detection for the square head crops some systems need (Audio2Head, EchoMimic).

The detector's model ships inside an installed package, so nothing is downloaded at run time:
dlib's HOG + linear-SVM frontal face detector (compiled into `dlib-bin`; robust on real photos, few
false positives). Where dlib is missing, OpenCV's Haar cascade (in `cv2.data` of opencv < 5) is the
fallback. Upstream systems run their own detectors later (S3FD, RetinaFace, MTCNN); this one exists to
crop well and to refuse a faceless portrait *before* GPU time is spent.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from thtui.core.media.errors import MediaError
from thtui.core.media.image import Box

DETECT_MAX_SIDE = 1024  # detection runs on a downscaled copy: same faces, bounded time on 24 MP photos
HEAD_CROP_SCALE = 2.0  # head square side / face box side: forehead, hair and chin stay in frame
_LOCK = threading.Lock()


class FaceDetectorUnavailable(MediaError):
    """No detector could be loaded (neither dlib nor an OpenCV with Haar cascades)."""


@dataclass(frozen=True)
class Face:
    box: Box  # in the coordinates of the image that was passed in
    score: float  # detector confidence; comparable only within one detector
    detector: str

    @property
    def center(self) -> tuple[float, float]:
        return (self.box.left + self.box.width / 2, self.box.top + self.box.height / 2)


class _Detector(ABC):
    name = "none"

    @abstractmethod
    def detect(self, rgb: np.ndarray) -> list[tuple[Box, float]]:
        """Face boxes with a confidence score, on an RGB uint8 array."""


class _DlibHog(_Detector):
    name = "dlib HOG frontal face detector"

    def __init__(self) -> None:
        import dlib

        self._det = dlib.get_frontal_face_detector()

    def detect(self, rgb: np.ndarray) -> list[tuple[Box, float]]:
        # Upsampling once finds faces down to ~40 px but costs 4x; only when the plain pass finds none.
        for upsample in (0, 1):
            rects, scores, _ = self._det.run(rgb, upsample, 0.0)
            if len(rects):
                return [
                    (Box(r.left(), r.top(), r.right() - r.left(), r.bottom() - r.top()), float(s))
                    for r, s in zip(rects, scores, strict=False)
                ]
        return []


class _HaarCascade(_Detector):
    name = "OpenCV Haar cascade (frontalface_default)"

    def __init__(self) -> None:
        import cv2

        path = Path(getattr(getattr(cv2, "data", None), "haarcascades", "") or "")
        xml = path / "haarcascade_frontalface_default.xml"
        if not hasattr(cv2, "CascadeClassifier") or not xml.is_file():
            raise ImportError("this OpenCV ships no Haar cascades")
        self._cv2 = cv2
        self._casc = cv2.CascadeClassifier(str(xml))

    def detect(self, rgb: np.ndarray) -> list[tuple[Box, float]]:
        cv2 = self._cv2
        grey = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
        found = self._casc.detectMultiScale(grey, scaleFactor=1.1, minNeighbors=5, minSize=(40, 40))
        return [(Box(int(x), int(y), int(w), int(h)), 1.0) for (x, y, w, h) in found]


@lru_cache(maxsize=1)
def _detector() -> _Detector:
    errors = []
    for cls in (_DlibHog, _HaarCascade):
        try:
            return cls()
        except Exception as exc:  # ImportError, or a broken install
            errors.append(f"{cls.name}: {exc}")
    raise FaceDetectorUnavailable("no face detector available (pip install dlib-bin): " + "; ".join(errors))


def detector_name() -> str:
    """Which detector runs here (for doctor output and error messages)."""
    return _detector().name


def _as_rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"))
    arr = np.asarray(image)
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    return np.ascontiguousarray(arr[..., :3].astype(np.uint8, copy=False))


def detect_faces(image: Image.Image | np.ndarray) -> list[Face]:
    """Faces in an RGB image, best first (largest; near-equal sizes ranked by confidence)."""
    rgb = _as_rgb_array(image)
    h, w = rgb.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE / max(h, w))
    small = rgb
    if scale < 1.0:
        small = np.asarray(
            Image.fromarray(rgb).resize((round(w * scale), round(h * scale)), Image.Resampling.BILINEAR)
        )
    det = _detector()
    with _LOCK:  # neither dlib's nor OpenCV's detector object promises thread safety
        found = det.detect(np.ascontiguousarray(small))
    faces = []
    for box, score in found:
        b = Box(
            round(box.left / scale),
            round(box.top / scale),
            round(box.width / scale),
            round(box.height / scale),
        )
        faces.append(Face(b, score, det.name))
    if not faces:
        return []
    largest = max(f.box.width * f.box.height for f in faces)
    # A painted badge or a pattern can pass as a small, weak face beside the real one: size wins, and
    # among faces at least half as large as the largest, confidence decides.
    return sorted(
        faces, key=lambda f: (f.box.width * f.box.height >= largest / 2, f.score, f.box.width), reverse=True
    )


def best_face(image: Image.Image | np.ndarray) -> Face | None:
    faces = detect_faces(image)
    return faces[0] if faces else None


def head_box(face: Face, image_size: tuple[int, int], scale: float = HEAD_CROP_SCALE) -> Box:
    """A square around the head: `scale` x the face box, centred a little above the face centre (the
    detector's box stops at the eyebrows), shrunk to fit and shifted inside the image."""
    w, h = image_size
    cx, cy = face.center
    cy -= 0.1 * face.box.height
    side = int(round(scale * max(face.box.width, face.box.height)))
    side = max(2, min(side, w, h))
    left = int(round(cx - side / 2))
    top = int(round(cy - side / 2))
    left = min(max(left, 0), w - side)
    top = min(max(top, 0), h - side)
    return Box(left, top, side, side)


def describe(face: Face) -> dict[str, Any]:
    b = face.box
    return {"left": b.left, "top": b.top, "width": b.width, "height": b.height, "score": round(face.score, 3)}
