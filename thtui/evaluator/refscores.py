"""Scores against a ground-truth video: PSNR (RGB, 8-bit peak) and SSIM (grey, Gaussian window 11,
sigma 1.5, Wang et al. 2004), frame by frame at 25 fps with the reference scaled to the scored video's
size, over the frames both have. LPIPS, FID and FVD ride the same pass (perceptual.py and fvd.py, via
`each`)."""

from __future__ import annotations

from typing import Any


def psnr(a: Any, b: Any) -> float:
    import numpy as np

    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 100.0 if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def ssim(a: Any, b: Any) -> float:
    import cv2
    import numpy as np

    x = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float64)
    y = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z: Any) -> Any:
        return cv2.GaussianBlur(z, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    return float(
        (((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))).mean()
    )


def compare(generated: Any, reference: Any, each: Any = None) -> dict[str, Any]:
    """generated, reference: iterators of RGB frames of the same size; `each(g, r)` sees every pair."""
    import numpy as np

    ps, ss = [], []
    for g, r in zip(generated, reference, strict=False):
        if each is not None:
            each(g, r)
        ps.append(psnr(g, r))
        ss.append(ssim(g, r))
    if not ps:
        return {"psnr": None, "ssim": None, "frames": 0}
    return {"psnr": float(np.mean(ps)), "ssim": float(np.mean(ss)), "frames": len(ps)}
