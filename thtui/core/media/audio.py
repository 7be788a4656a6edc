"""Audio: decode to samples, measure level, and normalise to what an upstream system reads
(16 kHz mono 16-bit WAV by default, per the manifest's AudioPrep)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import ffmpeg as ffmpeg_python
import numpy as np

from thtui.core.media.atomic import atomic_output
from thtui.core.media.ffmpeg_exec import ff_path, pick_encoder, run_stream

ANALYSIS_RATE = 16000


@dataclass(frozen=True)
class AudioLevels:
    duration_s: float  # exact: decoded samples / rate
    peak_dbfs: float  # -inf for digital silence
    rms_dbfs: float


def decode_mono(
    path: Path | str, rate: int = ANALYSIS_RATE, max_seconds: float | None = None, timeline: bool = False
) -> np.ndarray:
    """The first audio stream as mono int16 samples at `rate` (ffmpeg resamples and downmixes).

    `timeline`: on the file's timeline, as a player plays it: a stream that starts late (`-itsoffset`, a
    muxed-in delay) is padded with silence from t = 0 and samples before 0 are trimmed. Without it decoding
    starts at the first sample (a 0.4 s delay read as 2 frames of lip-sync offset instead of 10)."""
    inp = ffmpeg_python.input(ff_path(path), **({"t": f"{max_seconds:.3f}"} if max_seconds else {}))
    pad = {"af": "aresample=async=1:first_pts=0"} if timeline else {}
    out = inp["a:0"].output("pipe:", format="s16le", acodec="pcm_s16le", ac=1, ar=rate, **pad)
    raw = run_stream(out, stdout=True, what=f"decoding {Path(path).name}")
    return np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2")


def _dbfs(value: float) -> float:
    return 20 * math.log10(value / 32768.0) if value > 0 else float("-inf")


def measure(path: Path | str, max_seconds: float | None = None) -> AudioLevels:
    samples = decode_mono(path, max_seconds=max_seconds)
    if samples.size == 0:
        return AudioLevels(0.0, float("-inf"), float("-inf"))
    as_float = samples.astype(np.float64)
    peak = float(np.max(np.abs(as_float)))
    rms = float(np.sqrt(np.mean(as_float * as_float)))
    return AudioLevels(samples.size / ANALYSIS_RATE, _dbfs(peak), _dbfs(rms))


def normalize_audio(
    src: Path | str, dest: Path | str, *, rate: int = 16000, channels: int = 1, fmt: str = "wav"
) -> Path:
    """First audio stream of `src` -> `dest` as `fmt` ("wav": 16-bit PCM; "mp3"), resampled. Atomic."""
    dest = Path(dest)
    if fmt == "wav":
        codec_args = {"acodec": "pcm_s16le", "format": "wav"}
    elif fmt == "mp3":
        codec_args = {"acodec": pick_encoder("libmp3lame", "mp3"), "format": "mp3", "audio_bitrate": "192k"}
    else:
        raise ValueError(f"unsupported audio format {fmt!r} (wav or mp3)")
    with atomic_output(dest) as tmp:
        stream = (
            ffmpeg_python.input(ff_path(src))["a:0"]
            # bitexact keeps encoder/date tags out, so the same input always gives the same bytes.
            .output(ff_path(tmp), ac=channels, ar=rate, map_metadata=-1, fflags="+bitexact", **codec_args)
        )
        run_stream(stream, what=f"converting {Path(src).name} to {fmt}")
    return dest


# Container -> encoders to try, for `transcode_audio` (e.g. `thtui say -o hello.mp3`).
_ENCODERS = {
    ".wav": ("wav", ("pcm_s16le",)),
    ".mp3": ("mp3", ("libmp3lame", "mp3")),
    ".ogg": ("ogg", ("libvorbis", "libopus", "vorbis")),
    ".opus": ("ogg", ("libopus", "opus")),
    ".m4a": ("ipod", ("aac",)),
    ".flac": ("flac", ("flac",)),
}


def audio_extensions() -> list[str]:
    return sorted(_ENCODERS)


def transcode_audio(src: Path | str, dest: Path | str, *, rate: int | None = None) -> Path:
    """`src`'s audio in the container `dest`'s extension names, keeping rate/channels unless asked."""
    dest = Path(dest)
    ext = dest.suffix.lower()
    if ext not in _ENCODERS:
        raise ValueError(
            f"unsupported audio extension {dest.suffix!r}; use one of {', '.join(audio_extensions())}"
        )
    fmt, encoders = _ENCODERS[ext]
    with atomic_output(dest) as tmp:
        kw = {"ar": rate} if rate else {}
        stream = ffmpeg_python.input(ff_path(src))["a:0"].output(
            ff_path(tmp), acodec=pick_encoder(*encoders), format=fmt, **kw
        )
        run_stream(stream, what=f"writing {dest.name}")
    return dest
