"""CSIM: cosine similarity of ArcFace embeddings (InsightFace buffalo_l `w600k_r50.onnx`, run through
onnxruntime) between the source portrait's face and the video's faces, averaged over sampled frames.

Faces are cut as a square around the S3FD box (side = the box's longer side), resized to 112x112 RGB,
(x - 127.5) / 127.5. InsightFace aligns with five landmarks instead; without that alignment the values
run somewhat lower than published CSIM, so compare systems with each other, not with paper tables.
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
    return ort.InferenceSession(path, providers=providers)


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
