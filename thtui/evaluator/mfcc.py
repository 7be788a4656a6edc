"""MFCCs as SyncNet's audio stream was trained on: the defaults of `python_speech_features.mfcc` (0.6) on
16 kHz int16 samples, written here from the published algorithm so the env need not carry the package:
pre-emphasis 0.97, 25 ms frames every 10 ms (rectangular window), |rfft 512|^2 / 512, 26 triangular mel
filters over 0-8 kHz, log, orthonormal DCT-II, first 13 coefficients, sinusoidal lifter 22, and c0
replaced by the log frame energy. Returns (frames, 13), 100 frames per second.
"""

from __future__ import annotations

import math
from typing import Any


def _hz_to_mel(hz: Any) -> Any:
    import numpy as np

    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _mel_to_hz(mel: Any) -> Any:
    import numpy as np

    return 700.0 * (10.0 ** (np.asarray(mel) / 2595.0) - 1.0)


def mel_filters(nfilt: int = 26, nfft: int = 512, rate: int = 16000) -> Any:
    import numpy as np

    points = np.linspace(_hz_to_mel(0.0), _hz_to_mel(rate / 2), nfilt + 2)
    bins = np.floor((nfft + 1) * _mel_to_hz(points) / rate).astype(int)
    bank = np.zeros((nfilt, nfft // 2 + 1))
    for j in range(nfilt):
        lo, mid, hi = bins[j], bins[j + 1], bins[j + 2]
        for i in range(lo, mid):
            bank[j, i] = (i - lo) / (mid - lo)
        for i in range(mid, hi):
            bank[j, i] = (hi - i) / (hi - mid)
    return bank


def _round_half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def _frames(signal: Any, length: int, step: int) -> Any:
    import numpy as np

    n = len(signal)
    count = 1 if n <= length else 1 + math.ceil((n - length) / step)
    padded = np.concatenate([signal, np.zeros((count - 1) * step + length - n)])
    idx = np.arange(length)[None, :] + step * np.arange(count)[:, None]
    return padded[idx]


def dct_ortho(x: Any, keep: int) -> Any:
    """Orthonormal DCT-II along the last axis, first `keep` coefficients."""
    import numpy as np

    n = x.shape[-1]
    k = np.arange(keep)[:, None]
    basis = np.cos(np.pi * k * (2 * np.arange(n)[None, :] + 1) / (2 * n))
    scale = np.full((keep, 1), math.sqrt(2.0 / n))
    scale[0, 0] = math.sqrt(1.0 / n)
    return x @ (basis * scale).T


def mfcc(samples: Any, rate: int = 16000, numcep: int = 13, nfilt: int = 26, nfft: int = 512) -> Any:
    import numpy as np

    eps = np.finfo(float).eps
    x = np.asarray(samples, dtype=np.float64)
    x = np.append(x[:1], x[1:] - 0.97 * x[:-1])
    frames = _frames(x, _round_half_up(0.025 * rate), _round_half_up(0.010 * rate))
    power = (np.abs(np.fft.rfft(frames, nfft)) ** 2) / nfft
    energy = power.sum(axis=1)
    energy = np.where(energy == 0, eps, energy)
    feat = power @ mel_filters(nfilt, nfft, rate).T
    feat = np.where(feat == 0, eps, feat)
    cep = dct_ortho(np.log(feat), numcep)
    lift = 1 + (22 / 2.0) * np.sin(np.pi * np.arange(numcep) / 22)
    cep = cep * lift
    cep[:, 0] = np.log(energy)
    return cep
