"""Head pose, blinks and landmark jitter, all from the 68-point landmark tracks (n, 68, 2), NaN where no face.

Pose: roll is the angle of the line between the eye centres (in-plane tilt); yaw and pitch come from
cv2.solvePnP of 8 rigid points (eye corners, nose bridge, nose tip, nostrils) against a generic 3-D
face; mouth and chin are left out so speaking does not read as nodding. Camera: focal length = frame width,
principal point at the centre. Yaw and pitch from PnP are rough (a generic face model).
Blinks: eye aspect ratio (Soukupova & Cech 2016) below 0.75 x the video's median (adaptive, since the
landmark model's open-eye EAR varies with the face). Jitter: the high-frequency residual of the rigid
points (second difference, so steady motion does not count), as % of the inter-ocular distance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

RIGID = [36, 39, 42, 45, 27, 30, 31, 35]
# Generic face in mm: x right (image), y down, z away from the camera; nose tip at the origin.
_MODEL = [
    (-45.0, -35.0, 30.0),
    (-15.0, -33.0, 25.0),
    (15.0, -33.0, 25.0),
    (45.0, -35.0, 30.0),
    (0.0, -35.0, 20.0),
    (0.0, 0.0, 0.0),
    (-12.0, 5.0, 15.0),
    (12.0, 5.0, 15.0),
]
FROZEN_ROLL_DEG = 1.0  # roll spread under this and ...
FROZEN_SPREAD_PCT = 1.5  # ... the eyes' midpoint moving less than this % of inter-ocular: a frozen head
BLINK_RATIO = 0.75
SMOOTH = 5  # frames: PnP yaw/pitch noise would otherwise read as speed


@dataclass(frozen=True)
class HeadMotion:
    roll: np.ndarray  # degrees per frame, NaN without a face
    yaw: np.ndarray
    pitch: np.ndarray
    roll_std: float
    yaw_std: float
    pitch_std: float
    speed_deg_s: float | None  # mean angular speed of the smoothed angles
    frozen: bool


def head_pose(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """(n, 3) roll, yaw, pitch in degrees; NaN rows where there is no face."""
    import cv2
    import numpy as np

    from thtui.core.scores.lipsync import inter_ocular

    model = np.array(_MODEL, dtype=np.float64)
    cam = np.array([[width, 0, width / 2], [0, width, height / 2], [0, 0, 1]], dtype=np.float64)
    out = np.full((len(points), 3), np.nan)
    iod = inter_ocular(points)
    for i, pts in enumerate(points):
        if not np.isfinite(pts[0, 0]):
            continue
        # Start from a frontal face at the distance its eye spacing implies (60 mm between eye centres):
        # with near-planar points, a cold start can converge to the mirrored (flipped) pose.
        centre = pts[RIGID].mean(axis=0)
        z = width * 60.0 / max(float(iod[i]), 1.0)
        rvec = np.zeros((3, 1))
        tvec = np.array([[(centre[0] - width / 2) * z / width], [(centre[1] - height / 2) * z / width], [z]])
        ok, rvec, _ = cv2.solvePnP(
            model, pts[RIGID].astype(np.float64), cam, None, rvec, tvec, True, cv2.SOLVEPNP_ITERATIVE
        )
        if not ok:
            continue
        r, _ = cv2.Rodrigues(rvec)
        # Roll from the eye line: exact for an in-plane tilt, where PnP's roll absorbs some of the
        # generic model's misfit (an injected 5 deg roll read as 6.5 deg through PnP).
        eyes = pts[42:48].mean(axis=0) - pts[36:42].mean(axis=0)
        roll = np.degrees(np.arctan2(eyes[1], eyes[0]))
        yaw = np.degrees(np.arcsin(np.clip(-r[2, 0], -1.0, 1.0)))
        pitch = np.degrees(np.arctan2(r[2, 1], r[2, 2]))
        out[i] = (roll, yaw, pitch)
    return out


def _smooth(x: np.ndarray, k: int = SMOOTH) -> np.ndarray:
    import numpy as np

    out = np.full_like(x, np.nan)
    h = k // 2
    for i in range(len(x)):
        win = x[max(0, i - h) : i + h + 1]
        if np.isfinite(x[i]) and np.isfinite(win).sum() >= 2:
            out[i] = np.nanmean(win)
    return out


def head_motion(points: np.ndarray, width: int, height: int, fps: int) -> HeadMotion | None:
    import numpy as np

    angles = head_pose(points, width, height)
    valid = np.isfinite(angles[:, 0])
    if valid.sum() < 2:
        return None
    stds = [float(np.nanstd(angles[:, k])) for k in range(3)]
    smooth = np.stack([_smooth(angles[:, k]) for k in range(3)], axis=1)
    steps = np.linalg.norm(np.diff(smooth, axis=0), axis=1)
    steps = steps[np.isfinite(steps)]
    speed = float(steps.mean() * fps) if len(steps) else None
    return HeadMotion(
        angles[:, 0],
        angles[:, 1],
        angles[:, 2],
        stds[0],
        stds[1],
        stds[2],
        speed,
        frozen=_frozen(points, stds[0]),
    )


def _frozen(points: np.ndarray, roll_std: float) -> bool:
    """No head motion: the eye line keeps its angle and the point between the eyes stays put. Not PnP's
    yaw/pitch: dlib regresses all 68 points jointly, so a moving jaw drags the nose points and reads as a
    ~2 deg nod; the eyes barely move (0.6 % inter-ocular on a jaw-warp, 20 % under a 5 deg roll)."""
    import numpy as np

    from thtui.core.scores.lipsync import inter_ocular

    mid = (points[:, 36:42].mean(axis=1) + points[:, 42:48].mean(axis=1)) / 2
    # Robust spread (1.4826 x median absolute deviation): the few frames of a blink move the eye
    # landmarks and would otherwise count as head motion.
    mad = 1.4826 * np.nanmedian(np.abs(mid - np.nanmedian(mid, axis=0)), axis=0)
    spread = float(np.nanmax(mad) / np.nanmedian(inter_ocular(points)) * 100)
    return roll_std < FROZEN_ROLL_DEG and spread < FROZEN_SPREAD_PCT


def eye_aspect_ratio(points: np.ndarray) -> np.ndarray:
    import numpy as np

    def one(e: np.ndarray) -> np.ndarray:
        vert = np.linalg.norm(e[:, 1] - e[:, 5], axis=1) + np.linalg.norm(e[:, 2] - e[:, 4], axis=1)
        return vert / (2 * np.linalg.norm(e[:, 0] - e[:, 3], axis=1))

    return (one(points[:, 36:42]) + one(points[:, 42:48])) / 2


def count_blinks(ear: np.ndarray) -> int:
    """Runs of frames with the eyes closing (EAR under the adaptive threshold); a one-frame dip or rise
    inside a run does not split it."""
    import numpy as np

    if np.isfinite(ear).sum() == 0:
        return 0
    closed = np.nan_to_num(ear, nan=np.inf) < BLINK_RATIO * np.nanmedian(ear)
    blinks, i, n = 0, 0, len(closed)
    while i < n:
        if closed[i]:
            blinks += 1
            while i < n and (closed[i] or (i + 1 < n and closed[i + 1])):
                i += 1
        i += 1
    return blinks


def jitter(points: np.ndarray) -> float | None:
    """Mean |second difference| of the rigid points, % of inter-ocular distance."""
    import numpy as np

    from thtui.core.scores.lipsync import inter_ocular

    rigid = points[:, RIGID]
    iod = inter_ocular(points)
    resid = rigid[1:-1] - (rigid[:-2] + rigid[2:]) / 2
    norm = np.linalg.norm(resid, axis=2).mean(axis=1) / iod[1:-1]
    norm = norm[np.isfinite(norm)]
    return float(norm.mean() * 100) if len(norm) else None
