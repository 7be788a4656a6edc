"""CPBD: Cumulative Probability of Blur Detection (Narvekar & Karam, IEEE TIP 20(9), 2011), in numpy + OpenCV.

The no-reference sharpness number in talking-head papers' tables (higher is sharper, 0-1). Written to give
the numbers of the PyPI package `cpbd` 1.0.7, which most papers run, without its scikit-image/SciPy
dependencies (benchmarks/cpbd_check.py compares the two):

1. Edge blocks: 64x64 tiles from the top left (partial tiles at the right and bottom are dropped) holding
   more than 0.2 % Canny edge pixels. Canny as scikit-image's defaults on a float image: Gaussian sigma 1
   (radius 4) normalised at the border, Sobel gradients, non-maximum suppression interpolated between the
   two neighbours along the gradient, hysteresis at 0.1 / 0.2 of the gradient magnitude (on 0-255 grey,
   so nearly every local maximum counts; only flat tiles fall out).
2. Edge pixels for widths: the horizontal Sobel response (Octave's `edge(..., 'sobel')`, vertical edges
   only), squared, kept above 2 * sqrt(mean), thinned to pixels above both horizontal or both vertical
   neighbours.
3. Width (Marziliano): only at edges whose gradient angle (numpy.gradient) rounds to 0 or 180 degrees:
   the pixels from the edge to where the intensity stops rising (or falling) on each side, at most 101.
4. Per edge: P(blur) = 1 - exp(-(width / JNB) ** 3.6) with the just-noticeable width JNB 5 in tiles of
   contrast (max - min) <= 50 and 3 above; CPBD = the share of edges whose P(blur), rounded to a percent,
   is <= 63 %.

Where no edge is measured (a flat image, an image under 64 px) the reference returns 0.0; `cpbd` returns
None: there was nothing to measure, which is not "fully blurred".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

BLOCK = 64
EDGE_BLOCK_SHARE = 0.002  # a tile is an edge tile with more Canny pixels than this share of its 4096
BETA = 3.6
JNB_LOW_CONTRAST, JNB_HIGH_CONTRAST, CONTRAST_SPLIT = 5.0, 3.0, 50
MAX_SIDE_STEPS = 100  # the reference walks at most 101 pixels to each side of an edge
SHARP_PERCENT = 63  # P(blur) rounded to a percent at or below this counts as "not perceived blurred"


def cpbd(grey: np.ndarray) -> float | None:
    """CPBD of a grey image (uint8 or float on a 0-255 scale); None where no edge could be measured."""
    import numpy as np

    image = np.asarray(grey, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"cpbd wants a 2-D grey image, got shape {image.shape}")
    rows, cols = image.shape[0] // BLOCK, image.shape[1] // BLOCK
    if rows == 0 or cols == 0:
        return None
    canny = canny_edges(image)
    widths = edge_widths(image, sobel_edges(image))

    h, w = rows * BLOCK, cols * BLOCK
    tiles = (rows, BLOCK, cols, BLOCK)
    canny_count = canny[:h, :w].reshape(tiles).sum(axis=(1, 3))
    block_img = image[:h, :w].reshape(tiles)
    contrast = (block_img.max(axis=(1, 3)) - block_img.min(axis=(1, 3))).astype(np.int64)
    jnb = np.where(contrast <= CONTRAST_SPLIT, JNB_LOW_CONTRAST, JNB_HIGH_CONTRAST)
    edge_block = canny_count > BLOCK * BLOCK * EDGE_BLOCK_SHARE

    tile_widths = widths[:h, :w].reshape(tiles).transpose(0, 2, 1, 3)  # (rows, cols, 64, 64)
    measured = (tile_widths > 0) & edge_block[:, :, None, None]
    total = int(measured.sum())
    if total == 0:
        return None
    per_edge_jnb = np.broadcast_to(jnb[:, :, None, None], tile_widths.shape)[measured]
    p_blur = 1.0 - np.exp(-(np.abs(tile_widths[measured] / per_edge_jnb) ** BETA))
    sharp = int((np.round(p_blur * 100) <= SHARP_PERCENT).sum())
    return sharp / total


def _gaussian_kernel(sigma: float = 1.0, truncate: float = 4.0) -> np.ndarray:
    import numpy as np

    radius = int(truncate * sigma + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def canny_edges(image: np.ndarray) -> np.ndarray:
    """Boolean Canny edge map with scikit-image's defaults for a float image (see the module docstring)."""
    import cv2
    import numpy as np

    k = _gaussian_kernel()
    # Zero outside the image, then divided by the kernel's weight inside it: the border is not darkened.
    smoothed = cv2.sepFilter2D(image, cv2.CV_64F, k, k, borderType=cv2.BORDER_CONSTANT)
    weight = cv2.sepFilter2D(np.ones_like(image), cv2.CV_64F, k, k, borderType=cv2.BORDER_CONSTANT)
    smoothed /= weight + np.finfo(np.float64).eps
    deriv, smooth = np.array([-1.0, 0.0, 1.0]), np.array([1.0, 2.0, 1.0])
    gi = cv2.sepFilter2D(smoothed, cv2.CV_64F, smooth, deriv, borderType=cv2.BORDER_REFLECT)  # along rows
    gj = cv2.sepFilter2D(smoothed, cv2.CV_64F, deriv, smooth, borderType=cv2.BORDER_REFLECT)  # along cols
    mag = np.sqrt(gi * gi + gj * gj)
    local = _non_maximum(gi, gj, mag, low=0.1)
    low = local > 0
    count, labels = cv2.connectedComponents(low.astype(np.uint8), connectivity=8)
    if count <= 1:
        return low
    keep = np.zeros(count, dtype=bool)
    keep[np.unique(labels[low & (local >= 0.2)])] = True
    keep[0] = False
    return keep[labels]


def _non_maximum(gi: np.ndarray, gj: np.ndarray, mag: np.ndarray, low: float) -> np.ndarray:
    """Magnitude where it is >= `low` and not below the interpolated neighbours on either side along the
    gradient; 0 elsewhere and on the one-pixel border."""
    import numpy as np

    out = np.zeros_like(mag)
    if mag.shape[0] < 3 or mag.shape[1] < 3:
        return out
    i, j, m = gi[1:-1, 1:-1], gj[1:-1, 1:-1], mag[1:-1, 1:-1]
    ai, aj = np.abs(i), np.abs(j)

    def at(dr: int, dc: int) -> np.ndarray:
        return mag[1 + dr : mag.shape[0] - 1 + dr, 1 + dc : mag.shape[1] - 1 + dc]

    with np.errstate(divide="ignore", invalid="ignore"):
        w_j_over_i = aj / ai
        w_i_over_j = ai / aj

    def side(w: np.ndarray, n1: np.ndarray, n2: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):  # w is NaN only where both gradients are 0: m < low there
            return (n2 * w + n1 * (1.0 - w)) <= m

    same_sign = ((i > 0) & (j > 0)) | ((i <= 0) & (j <= 0))
    keep = np.zeros(m.shape, dtype=bool)
    cases = (
        (same_sign & (ai > aj), w_j_over_i, ((1, 0), (1, 1)), ((-1, 0), (-1, -1))),
        (same_sign & (ai <= aj), w_i_over_j, ((0, 1), (1, 1)), ((0, -1), (-1, -1))),
        (~same_sign & (ai < aj), w_i_over_j, ((0, 1), (-1, 1)), ((0, -1), (1, -1))),
        (~same_sign & (ai >= aj), w_j_over_i, ((-1, 0), (-1, 1)), ((1, 0), (1, -1))),
    )
    for where, w, (p1, p2), (q1, q2) in cases:
        hit = where & side(w, at(*p1), at(*p2)) & side(w, at(*q1), at(*q2))
        keep |= hit
    keep &= m >= low
    out[1:-1, 1:-1] = np.where(keep, m, 0.0)
    return out


def sobel_edges(image: np.ndarray) -> np.ndarray:
    """Thinned vertical edges of the horizontal Sobel response (the reference's Octave-style `sobel`)."""
    import cv2
    import numpy as np

    kernel = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]) / 8.0
    strength = cv2.filter2D(image, cv2.CV_64F, kernel, borderType=cv2.BORDER_REFLECT) ** 2
    strength[strength <= 2 * np.sqrt(strength.mean())] = 0.0
    padded = np.pad(strength, 1)
    centre = padded[1:-1, 1:-1]
    across = (centre > padded[1:-1, :-2]) & (centre > padded[1:-1, 2:])
    along = (centre > padded[:-2, 1:-1]) & (centre > padded[2:, 1:-1])
    return across | along


def _run_left(b: np.ndarray) -> np.ndarray:
    """For each pixel: how many consecutive True end at it, counting leftwards along its row."""
    import numpy as np

    idx = np.arange(b.shape[1])
    last_false = np.maximum.accumulate(np.where(b, -1, idx), axis=1)
    return idx - last_false


def edge_widths(image: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Marziliano edge widths at horizontal-gradient edges (0 elsewhere), as the reference measures them."""
    import numpy as np

    h, w = image.shape
    widths = np.zeros((h, w))
    gy, gx = np.gradient(image)
    with np.errstate(divide="ignore", invalid="ignore"):
        angle = np.where(gx != 0, np.arctan2(gy, gx) * (180 / np.pi), 0.0)
    if not angle.any() or w < 3 or h < 3:
        return widths
    quantised = 45 * np.round(angle / 45)
    step = np.zeros((h, w + 1))  # step[:, c] = image[:, c] - image[:, c - 1]; 0 at c = 0 and past the end
    step[:, 1:w] = np.diff(image, axis=1)
    widths_at = {}
    for name, rising in (("up", step > 0), ("down", step < 0)):
        left = _run_left(rising)  # consecutive rising (falling) steps ending at c, going left
        right = _run_left(rising[:, ::-1])[:, ::-1]  # ... starting at c, going right
        # An edge at column c: steps c-1, c-2, ... on its left; c+2, c+3, ... on its right.
        l_count = np.minimum(left[:, 0 : w - 2], MAX_SIDE_STEPS)  # columns 1..w-2 look at c-1
        r_count = np.minimum(right[:, 3 : w + 1], MAX_SIDE_STEPS)  # ... and at c+2 (w: none)
        widths_at[name] = (l_count + 1 + r_count + 1)[1:-1]
    inner = edges[1:-1, 1:-1]
    q = quantised[1:-1, 1:-1]
    rising_edge = inner & (q == 0)
    falling_edge = inner & ((q == 180) | (q == -180))
    widths[1:-1, 1:-1] = np.where(rising_edge, widths_at["up"], np.where(falling_edge, widths_at["down"], 0))
    return widths
