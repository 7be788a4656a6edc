"""Small synthetic grey images for the CPBD tests, made with numpy arithmetic only (no random generator, no
OpenCV), so the same pixels come out on any machine. benchmarks/cpbd_check.py scores them with the
reference `cpbd` package; tests/unit/test_cpbd.py freezes those numbers."""

from __future__ import annotations

import numpy as np

SIZE = 128
EDGE_PX = (0.3, 0.6, 1.0, 1.6)  # the edge widths of successive bar pairs, times `scale`


def bars(scale: float, low: float = 40.0, high: float = 200.0, size: int = SIZE) -> np.ndarray:
    """Vertical bars (16 px bright, 16 px dark) whose edges ramp with a logistic profile; each 32-px period
    has its own edge width (EDGE_PX x `scale`), so CPBD lands between 0 and 1. A slow vertical shading
    keeps the gradients from being exactly horizontal."""
    x = np.arange(size, dtype=np.float64)
    y = np.arange(size, dtype=np.float64)[:, None]
    edge = np.array(EDGE_PX)[((x // 32) % len(EDGE_PX)).astype(int)] * scale
    phase = (x % 32) - 16.0
    rise = 1.0 / (1.0 + np.exp(-(np.abs(phase) - 8.0) / edge * 4.0))
    img = low + (high - low) * rise + 6.0 * np.sin(y / 9.0)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def waves(scale: float, size: int = SIZE) -> np.ndarray:
    """A smooth texture of crossing sine waves (edges at every angle); larger `scale`, slower waves."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    img = 128 + 60 * np.sin(xx * 0.9 / scale + yy * 0.2) * np.cos(yy * 0.45 / scale)
    img += 30 * np.sin((xx + 2 * yy) * 0.13)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def disc(edge_px: float, size: int = SIZE) -> np.ndarray:
    """A bright disc on a dark ground, its rim ramping over about `edge_px` pixels."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    r = np.hypot(xx - size / 2 + 0.5, yy - size / 2 + 0.5)
    img = 30.0 + 190.0 / (1.0 + np.exp((r - size * 0.35) / edge_px * 4.0))
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def flat(size: int = SIZE) -> np.ndarray:
    return np.full((size, size), 128, dtype=np.uint8)


def images() -> dict[str, np.ndarray]:
    """name -> image, in the order the benchmark prints them."""
    out = {f"bars_x{s:g}": bars(s) for s in (0.5, 1, 1.5, 3)}
    out |= {f"bars_low_contrast_x{s:g}": bars(s, low=100, high=140) for s in (1, 2)}
    out |= {f"waves_x{s:g}": waves(s) for s in (1, 1.5)}
    out |= {f"disc_{e:g}px": disc(e) for e in (0.5, 2)}
    out["bars_x1_200x150"] = bars(1, size=200)[:150]  # partial tiles dropped at the right and bottom
    out["flat"] = flat()
    out["small_48px"] = bars(1, size=48)
    return out
