"""Scores against a ground-truth video (the papers' reconstruction setting): PSNR, SSIM, LMD.

Both videos are decoded at 25 fps; the reference is scaled to the scored video's decoded size, and the
pairs run frame by frame until the shorter one ends. SSIM is the grey-level SSIM of Wang et al. 2004
(Gaussian window 11, sigma 1.5, K1 0.01, K2 0.03). LMD is the mean distance in pixels between the mouth
landmarks (48-67) of the two videos, over frames where both have a face.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from thtui.core.scores.decode import VideoSource


@dataclass(frozen=True)
class ReferenceScores:
    psnr: float | None
    ssim: float | None
    lmd: float | None
    frames: int


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    import numpy as np

    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    import cv2
    import numpy as np

    x = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float64)
    y = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(z, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    den = (mx * mx + my * my + c1) * (sxx + syy + c2)
    return float((num / den).mean())


def compare(generated: VideoSource, reference: VideoSource, generated_points: np.ndarray) -> ReferenceScores:
    import dataclasses

    import numpy as np

    from thtui.core.scores.decode import iter_frames
    from thtui.core.scores.track import FaceTracker

    ref = dataclasses.replace(reference, width=generated.width, height=generated.height)
    tracker = FaceTracker()
    psnrs, ssims, lmds = [], [], []
    for i, (g, r) in enumerate(zip(iter_frames(generated), iter_frames(ref), strict=False)):
        value = psnr(g, r)
        psnrs.append(min(value, 100.0))  # identical frames: cap instead of inf, said in the method
        ssims.append(ssim(g, r))
        face = tracker.step(r)
        if face is not None and i < len(generated_points) and np.isfinite(generated_points[i, 0, 0]):
            d = np.linalg.norm(generated_points[i, 48:68] - face.points[48:68], axis=1)
            lmds.append(float(d.mean()))
    n = len(psnrs)
    return ReferenceScores(
        float(np.mean(psnrs)) if n else None,
        float(np.mean(ssims)) if n else None,
        float(np.mean(lmds)) if lmds else None,
        n,
    )
