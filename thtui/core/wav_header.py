"""A WAV's length from its header: exact, no subprocess, and cheap to import (the `static` baseline is a
timed job of its own, so it must not pull in the media layer just for this)."""

from __future__ import annotations

import contextlib
import wave
from pathlib import Path


def wav_seconds(path: Path | str) -> float | None:
    """Seconds of audio in a WAV file; None when it is not a readable WAV."""
    with contextlib.suppress(wave.Error, EOFError, OSError), wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        return w.getnframes() / float(rate) if rate else None
    return None
