"""TTS cache and provenance.

A WAV is cached under `settings.cache_dir/tts/` by a hash of (backend, voice, options, text), and
every WAV thtui generates gets a sidecar `<name>.wav.json` saying which backend and voice made it,
how long it is, how fast it was made (real-time factor) and the text's hash: TTS audio biases lip-sync
scores, so benchmarks must be able to tell natural audio from synthetic, and one voice from another.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thtui.core.config import Settings
from thtui.core.media.atomic import atomic_output, write_text_atomic

PROVENANCE_SCHEMA = 1


@dataclass(frozen=True)
class TtsResult:
    path: Path  # the WAV
    duration_s: float
    rtf: float  # synthesis seconds / audio seconds (0.05 = 20x faster than real time)
    backend: str  # "piper" | "coqui"
    voice: str
    cached: bool  # True when the WAV came from the cache and nothing was synthesised
    text_hash: str = ""
    sidecar: Path | None = None


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cache_key(backend: str, voice: str, options: dict[str, Any], text: str) -> str:
    blob = json.dumps({"backend": backend, "voice": voice, "options": options, "text": text}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def tts_cache_dir(settings: Settings) -> Path:
    return settings.cache_dir / "tts"


def cached_wav_path(settings: Settings, backend: str, key: str) -> Path:
    # A plain [a-z0-9-] name with one dot: safe for every upstream script that reads it later.
    return tts_cache_dir(settings) / f"{backend}-{key[:24]}.wav"


def sidecar_path(wav: Path | str) -> Path:
    wav = Path(wav)
    return wav.with_name(wav.name + ".json")


def read_provenance(wav: Path | str) -> dict[str, Any] | None:
    """The sidecar of a WAV thtui generated, or None (natural audio, or a missing/corrupt sidecar)."""
    try:
        data = json.loads(sidecar_path(wav).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("schema") == PROVENANCE_SCHEMA else None


def write_provenance(wav: Path | str, record: dict[str, Any]) -> Path:
    data = {"schema": PROVENANCE_SCHEMA, **record}
    return write_text_atomic(
        sidecar_path(wav), json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


def wav_duration(path: Path | str) -> tuple[float, int]:
    """(seconds, sample rate) of a PCM WAV."""
    with wave.open(str(path), "rb") as wf:
        rate = wf.getframerate()
        return wf.getnframes() / float(rate), rate


def lookup(settings: Settings, backend: str, key: str) -> TtsResult | None:
    """A cache hit needs both the WAV and a sidecar that names the same key."""
    wav = cached_wav_path(settings, backend, key)
    record = read_provenance(wav)
    if not wav.is_file() or record is None or record.get("cache_key") != key:
        return None
    return TtsResult(
        path=wav,
        duration_s=float(record.get("duration_s", 0.0)),
        rtf=float(record.get("rtf", 0.0)),
        backend=backend,
        voice=str(record.get("voice", "")),
        cached=True,
        text_hash=str(record.get("text_hash", "")),
        sidecar=sidecar_path(wav),
    )


def export(result: TtsResult, dest: Path | str) -> Path:
    """Copy a TTS WAV (and its provenance) to `dest`, e.g. for `thtui say -o`. Other extensions than
    .wav are transcoded with ffmpeg; the sidecar then also names the file it describes."""
    dest = Path(dest)
    if dest.suffix.lower() in ("", ".wav"):
        dest = dest if dest.suffix else dest.with_suffix(".wav")
        with atomic_output(dest) as tmp:
            shutil.copyfile(result.path, tmp)
    else:
        from thtui.core.media.audio import transcode_audio

        transcode_audio(result.path, dest)
    record = dict(read_provenance(result.path) or {})
    record.pop("schema", None)
    record.update({"exported_from": str(result.path), "exported_at": _now()})
    write_provenance(dest, record)
    return dest


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
