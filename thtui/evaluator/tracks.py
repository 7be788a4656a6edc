"""Face tracks and SyncNet crops, as the standard pipeline builds them.

Tracks: detections are linked greedily frame to frame when the box overlaps the track's last box with
IoU > 0.5 and at most 25 frames were missed; a track must span more than `min_track` frames (100 in the
reference; shorter clips use half their length, said in the output) and have a mean box side > 100 px.
Missed frames are filled by linear interpolation of the box corners.

Crops: half-side s = max(w, h) / 2 per frame; centre and s median-filtered (kernel 13, zero-padded ends
as scipy.signal.medfilt does); the frame padded by s(1 + 2*0.4) with grey 110; rows cy-s .. cy+1.8s,
columns cx-1.4s .. cx+1.4s (the whole face and chin); resized to 224x224, BGR, no normalisation. No shot
detection: a talking-head result is one shot. Frames are cropped from the raw decode (the reference
crops JPEGs written at -qscale:v 2); the crops then take the reference's lossy path (XVID AVI, JPEG):
see media.xvid / media.jpeg_roundtrip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IOU_LINK, MAX_MISSED, MIN_TRACK, MIN_FACE = 0.5, 25, 100, 100
CROP_SCALE, CROP_SIZE, PAD_VALUE, MEDIAN_KERNEL = 0.4, 224, 110, 13


@dataclass
class Track:
    frames: Any  # (n,) int frame numbers, consecutive
    boxes: Any  # (n, 4) x1 y1 x2 y2

    @property
    def start(self) -> int:
        return int(self.frames[0])

    def __len__(self) -> int:
        return len(self.frames)


def iou(a: Any, b: Any) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def build_tracks(
    detections: list[Any], min_track: int = MIN_TRACK, min_face: float = MIN_FACE
) -> list[Track]:
    """detections[f] = (n, 5) boxes of frame f -> tracks, longest first."""
    import numpy as np

    pending = [[list(map(float, d[:4])) for d in dets] for dets in detections]
    tracks: list[Track] = []
    while any(pending):
        chain: list[tuple[int, list[float]]] = []
        for f, faces in enumerate(pending):
            if not chain:
                if faces:
                    chain.append((f, faces.pop(0)))
                continue
            if f - chain[-1][0] > MAX_MISSED:
                break
            for k, face in enumerate(faces):
                if iou(face, chain[-1][1]) > IOU_LINK:
                    chain.append((f, faces.pop(k)))
                    break
        if len(chain) <= min_track:
            continue
        have = np.array([f for f, _ in chain])
        boxes = np.array([b for _, b in chain])
        frames = np.arange(have[0], have[-1] + 1)
        filled = np.stack([np.interp(frames, have, boxes[:, c]) for c in range(4)], 1)
        side = max(np.mean(filled[:, 2] - filled[:, 0]), np.mean(filled[:, 3] - filled[:, 1]))
        if side > min_face:
            tracks.append(Track(frames, filled))
    return sorted(tracks, key=len, reverse=True)


def medfilt(x: Any, kernel: int = MEDIAN_KERNEL) -> Any:
    import numpy as np

    half = kernel // 2
    padded = np.concatenate([np.zeros(half), np.asarray(x, float), np.zeros(half)])
    return np.array([np.median(padded[i : i + kernel]) for i in range(len(x))])


def crop_plan(track: Track) -> Any:
    """(n, 3) smoothed half-side s, centre x, centre y for each frame of the track."""
    import numpy as np

    b = track.boxes
    s = np.maximum(b[:, 3] - b[:, 1], b[:, 2] - b[:, 0]) / 2
    return np.stack([medfilt(s), medfilt((b[:, 0] + b[:, 2]) / 2), medfilt((b[:, 1] + b[:, 3]) / 2)], 1)


def crop(rgb: Any, s: float, cx: float, cy: float) -> Any:
    import cv2
    import numpy as np

    bgr = rgb[:, :, ::-1]
    pad = int(s * (1 + 2 * CROP_SCALE))
    frame = np.pad(bgr, ((pad, pad), (pad, pad), (0, 0)), constant_values=PAD_VALUE)
    my, mx = cy + pad, cx + pad
    face = frame[
        int(my - s) : int(my + s * (1 + 2 * CROP_SCALE)),
        int(mx - s * (1 + CROP_SCALE)) : int(mx + s * (1 + CROP_SCALE)),
    ]
    return cv2.resize(face, (CROP_SIZE, CROP_SIZE))
