"""Lip-sync PROXY (not LSE): how well mouth opening follows the audio's loudness, and at which lag.

Mouth opening per frame = inner-lip gap (68-point landmarks 62 <-> 66) / inter-ocular distance. Loudness per
frame = log energy of the 150-4000 Hz band (where speech energy lives; hum and hiss left out) in the 40 ms
slot of that frame. Pearson r is taken for every lag from -15 to +15 frames; the best lag is the offset.
Sign: offset L pairs mouth[t] with loudness[t + L], so audio delayed by d seconds gives +d x fps frames.
Short clips: every lag needs MIN_PAIRS overlapping frames, so a clip under 40 frames (1.6 s) cannot search
+-15; the range shrinks to what it can search, down to +-MIN_LAG (37 frames, 1.48 s), and the confidence is
scaled down by the range searched. On the jawflap control and its 0.4 s-shifted copies cut to 1.5 s (three
start points each) this still found 0, +10 and -10 within a frame; under 1.48 s +-10 cannot be searched.
Real speech couples mouth and loudness far less tightly than a jaw-warp: compare systems, do not threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MAX_LAG = 15
MIN_PAIRS = 25  # fewer valid (face, audio) frame pairs at a lag and r means little
MIN_LAG = 12  # the narrowest search a short clip gets: a 0.4 s (10-frame) shift and 2 frames to see its peak
MIN_FRAMES = MIN_PAIRS + MIN_LAG  # 37 frames (1.48 s at 25 fps): the shortest clip with lip-sync
BAND_HZ = (150.0, 4000.0)
SIGN_CONVENTION = "audio delayed by d seconds gives an offset of +d x fps frames"


@dataclass(frozen=True)
class LipSync:
    offset_frames: int
    offset_ms: float
    corr: float  # Pearson r at the best lag
    confidence: float  # peak r minus median r over the lags searched, x max_lag / MAX_LAG when narrowed
    corr_by_lag: dict[int, float]
    max_lag: int = MAX_LAG  # the lags searched: -max_lag..+max_lag (narrower on a short clip)


def inter_ocular(points: np.ndarray) -> np.ndarray:
    """Distance between the eye centres, per frame; points (n, 68, 2)."""
    import numpy as np

    left = points[:, 36:42].mean(axis=1)
    right = points[:, 42:48].mean(axis=1)
    return np.linalg.norm(right - left, axis=1)


def mouth_opening(points: np.ndarray) -> np.ndarray:
    import numpy as np

    gap = np.linalg.norm(points[:, 66] - points[:, 62], axis=1)
    return gap / inter_ocular(points)


def loudness_envelope(samples: np.ndarray, rate: int, n_frames: int, fps: int) -> np.ndarray:
    """Band-limited log energy per frame slot; NaN for slots past the end of the audio."""
    import numpy as np

    slot = rate / fps
    out = np.full(n_frames, np.nan)
    n_fft = 1 << int(np.ceil(np.log2(max(slot, 2))))
    freqs = np.fft.rfftfreq(n_fft, 1 / rate)
    band = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
    window = np.hanning(int(slot))
    for i in range(n_frames):
        a, b = int(round(i * slot)), int(round(i * slot)) + len(window)
        if b > len(samples):
            break
        spec = np.abs(np.fft.rfft(samples[a:b] * window, n_fft)) ** 2
        out[i] = np.log10(spec[band].sum() + 1e-10)
    return out


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    import numpy as np

    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < MIN_PAIRS:
        return None
    x, y = x[ok] - x[ok].mean(), y[ok] - y[ok].mean()
    den = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / den) if den > 1e-12 else None


def lipsync(mouth: np.ndarray, loudness: np.ndarray, fps: int, max_lag: int = MAX_LAG) -> LipSync | str:
    """The best lag, or a reason why there is none."""
    import numpy as np

    if np.nanstd(mouth) < 1e-6:
        return "the mouth never moves (its opening is constant): correlation undefined"
    if np.nanstd(loudness) < 1e-6:
        return "the audio's loudness is constant (silence?)"
    n = len(mouth)
    corr: dict[int, float] = {}
    for lag in range(-max_lag, max_lag + 1):
        # mouth[t] against loudness[t + lag]
        if lag >= 0:
            r = _pearson(mouth[: n - lag], loudness[lag:n])
        else:
            r = _pearson(mouth[-lag:], loudness[: n + lag])
        if r is not None:
            corr[lag] = r
    # The widest symmetric range where every lag has its r (enough pairs): a short clip searches fewer lags.
    searched = 0
    while searched < max_lag and searched + 1 in corr and -(searched + 1) in corr:
        searched += 1
    narrowest = min(MIN_LAG, max_lag)
    if 0 not in corr or searched < narrowest:
        return (
            f"fewer than {MIN_PAIRS} frames with both a face and audio at a lag of ±{narrowest} frames "
            f"(lip-sync needs at least {MIN_PAIRS + narrowest} such frames)"
        )
    corr = {lag: r for lag, r in corr.items() if abs(lag) <= searched}
    best = max(corr, key=lambda k: corr[k])
    median = float(np.median(list(corr.values())))
    # Fewer lags: a peak stands out less surely (and one beyond the range is not seen): less confidence.
    confidence = (corr[best] - median) * searched / max_lag
    return LipSync(best, best * 1000.0 / fps, corr[best], confidence, corr, searched)
