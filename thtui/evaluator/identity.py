"""CSIM: cosine similarity of ArcFace embeddings (InsightFace buffalo_l `w600k_r50.onnx`, run through
onnxruntime) between the source portrait's face and the video's faces, averaged over sampled frames.

Faces are aligned as InsightFace does: five points from SCRFD (`det_10g.onnx`, searched around the S3FD
box), a similarity warp onto ArcFace's 112x112 template (scrfd.py); RGB, (x - 127.5) / 127.5. Without
det_10g (or where it finds no face) the face is cut as a square around the S3FD box instead, which runs
somewhat lower than published CSIM; the output says how many faces were aligned.
Licence of the weights: InsightFace models are for non-commercial research only.
"""

from __future__ import annotations

import contextlib
from typing import Any


def session(path: str, device: str) -> Any:
    import onnxruntime as ort

    if device.startswith("cuda") and hasattr(ort, "preload_dlls"):
        with contextlib.suppress(Exception):  # the CUDA/cuDNN libraries of the env's torch wheels
            ort.preload_dlls()
    wanted = (
        ["CUDAExecutionProvider", "CPUExecutionProvider"]
        if device.startswith("cuda")
        else ["CPUExecutionProvider"]
    )
    providers = [p for p in wanted if p in ort.get_available_providers()] or ["CPUExecutionProvider"]
    try:
        return ort.InferenceSession(path, providers=providers)
    except Exception:  # a CUDA provider that cannot start (libraries, driver): the CPU still works
        if providers == ["CPUExecutionProvider"]:
            raise
        return ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def face_square(rgb: Any, box: Any, size: int = 112) -> Any:
    import cv2
    import numpy as np

    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    half = max(box[2] - box[0], box[3] - box[1]) / 2
    pad = int(half) + 2
    frame = np.pad(rgb, ((pad, pad), (pad, pad), (0, 0)))
    y0, x0 = int(cy - half) + pad, int(cx - half) + pad
    side = int(2 * half)
    return cv2.resize(frame[y0 : y0 + side, x0 : x0 + side], (size, size))


def embed(sess: Any, faces: list[Any]) -> Any:
    import numpy as np

    batch = (np.stack(faces).astype(np.float32) - 127.5) / 127.5
    out = sess.run(None, {sess.get_inputs()[0].name: batch.transpose(0, 3, 1, 2)})[0]
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def csim(sess: Any, portrait_face: Any, video_faces: list[Any]) -> float:
    import numpy as np

    ref = embed(sess, [portrait_face])[0]
    return float(np.mean(embed(sess, video_faces) @ ref))


class FaceCutter:
    """112x112 ArcFace inputs: five-point aligned when a SCRFD session is given and finds the face."""

    def __init__(self, detector: Any | None) -> None:
        self.detector = detector
        self.aligned = 0
        self.boxed = 0

    def __call__(self, rgb: Any, box: Any) -> Any:
        import numpy as np

        from . import scrfd

        if self.detector is not None:
            half = max(box[2] - box[0], box[3] - box[1])  # search a square twice the box's side
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            x0, y0 = max(0, int(cx - half)), max(0, int(cy - half))
            region = np.ascontiguousarray(rgb[y0 : int(cy + half), x0 : int(cx + half)])
            points = scrfd.largest_face_points(self.detector, region) if region.size else None
            if points is not None:
                self.aligned += 1
                return scrfd.align(rgb, points + np.array([x0, y0], np.float32))
        self.boxed += 1
        return face_square(rgb, box)

    def portrait(self, rgb: Any, boxes: Any) -> Any | None:
        """The portrait's face: SCRFD on the whole picture when present, else the biggest S3FD box."""
        from . import scrfd

        if self.detector is not None:
            points = scrfd.largest_face_points(self.detector, rgb)
            if points is not None:
                self.aligned += 1
                return scrfd.align(rgb, points)
        if len(boxes) == 0:
            return None
        self.boxed += 1
        return face_square(rgb, max(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1])))

    def how(self) -> str:
        total = self.aligned + self.boxed
        return f"{self.aligned} of {total} faces five-point aligned (SCRFD det_10g), the rest box-cropped"
