"""How fast the `jawflap` baseline renders: seconds of wall time per second of audio (RTF), on a clip of
about 10 s made from the repo's speech, with the repo's 512x512 portrait. Target: RTF < 1 (a 10 s clip in
a few seconds on one core), measured in one run next to `static` (the ffmpeg-only floor) as a ratio.

    .venv/bin/python benchmarks/jawflap_speed.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import wave
from pathlib import Path

from thtui.builtins import jawflap, static
from thtui.core.config import repo_root

ASSETS = repo_root() / "assets"


def long_speech(dest: Path, seconds: float) -> float:
    """The repo's speech repeated to about `seconds` (16 kHz mono WAV); returns its length."""
    with wave.open(str(ASSETS / "speech.wav")) as w:
        params, frames = w.getparams(), w.readframes(w.getnframes())
    reps = max(1, round(seconds * params.framerate / (len(frames) // 2)))
    with wave.open(str(dest), "wb") as out:
        out.setparams(params)
        out.writeframes(frames * reps)
    return reps * len(frames) / 2 / params.framerate


def timed(fn, argv: list[str]) -> float:
    t = time.perf_counter()
    assert fn(argv) == 0
    return time.perf_counter() - t


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=10.0)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        audio = Path(tmp) / "speech.wav"
        length = long_speech(audio, args.seconds)
        common = ["--image", str(ASSETS / "portrait.jpg"), "--audio", str(audio)]
        flap = timed(jawflap.main, [*common, "--out", str(Path(tmp) / "j.mp4")])
        still = timed(static.main, [*common, "--out", str(Path(tmp) / "s.mp4")])
    print(f"audio {length:.2f} s · jawflap {flap:.2f} s (RTF {flap / length:.2f}) · static {still:.2f} s "
          f"(RTF {still / length:.2f}) · jawflap/static {flap / still:.1f}x")  # fmt: skip
    return 0 if flap / length < 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
