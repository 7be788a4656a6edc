"""`synthesize`: text -> cached WAV with provenance, through Piper (default) or Coqui."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from thtui import __version__
from thtui.core.config import Settings, check_folders
from thtui.core.events import EventSink, discard
from thtui.core.media.atomic import atomic_output
from thtui.core.tts import cache, coqui_backend, piper_backend
from thtui.core.tts.errors import TtsError, TtsProgress
from thtui.core.tts.script import check_voice_reads
from thtui.core.tts.text import MAX_TEXT_CHARS, clean_text

BACKENDS = ("piper", "coqui")


def synthesize(
    settings: Settings,
    text: str,
    backend: str = "piper",
    voice: str | None = None,
    *,
    options: dict[str, Any] | None = None,
    accept_xtts_license: bool = False,
    max_chars: int = MAX_TEXT_CHARS,
    use_cache: bool = True,
    sink: EventSink = discard,
) -> cache.TtsResult:
    """Speak `text`; return the WAV (cached by backend, voice, options and text).

    voice: Piper voice name (en_US-lessac-medium), path to a .onnx, or None for the bundled
    en_US-joe-medium; for Coqui a model name (default tts_models/en/ljspeech/tacotron2-DDC).
    Raises InputError for unusable text (empty, no words, over `max_chars`), TtsError otherwise."""
    if backend not in BACKENDS:
        raise TtsError(f"unknown TTS backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    clean = clean_text(text, max_chars=max_chars)  # before any model loads or downloads
    check_voice_reads(clean, backend, voice)  # Arabic through an English voice: letter names, refused
    check_folders(settings, "cache_dir")  # the WAV is cached there: a bad data root is named, not ENOTDIR
    options = dict(options or {})

    if backend == "piper":
        opts = piper_backend.check_options(options)
        files = piper_backend.resolve_voice(settings, voice)
        voice_id, voice_source, licence = files.name, files.source, files.licence
        # A local voice file is identified by its path (two files may share a stem).
        key_voice = str(files.model) if files.source.startswith("local") else files.name
    else:
        model = voice or coqui_backend.DEFAULT_MODEL
        opts = coqui_backend.check_options(model, options)
        voice_id, voice_source, key_voice = model, "coqui-tts env", model
        licence = (
            "CPML (non-commercial)"
            if coqui_backend.is_xtts(model)
            else "see the model card (Coqui model zoo)"
        )

    key = cache.cache_key(backend, key_voice, opts, clean)
    if use_cache:
        hit = cache.lookup(settings, backend, key)
        if hit is not None:
            sink(TtsProgress(backend=backend, done=1, total=1, message="cached"))
            return hit

    dest = cache.cached_wav_path(settings, backend, key)
    extra: dict[str, Any] = {}
    with atomic_output(dest) as tmp:
        if backend == "piper":
            duration, rate, synth_s = piper_backend.synthesize_to(files, clean, opts, tmp, sink)
            extra["generator"] = f"piper-tts {_version('piper-tts')}"
        else:
            sink(TtsProgress(backend=backend, done=0, total=1, message=f"running {voice_id}"))
            if coqui_backend.is_xtts(voice_id):
                extra["license_acknowledged"] = True
            report = coqui_backend.synthesize_to(
                settings, voice_id, clean, opts, tmp, accept_xtts_license=accept_xtts_license
            )
            duration, rate = cache.wav_duration(tmp)
            synth_s = float(report.get("synth_seconds", 0.0))
            extra.update(
                {
                    "generator": "coqui-tts",
                    "device": report.get("device"),
                    "load_seconds": report.get("load_seconds"),
                }
            )
            sink(TtsProgress(backend=backend, done=1, total=1))
    if duration <= 0:
        raise TtsError(f"{backend} produced no audio")
    rtf = synth_s / duration
    record = {
        "backend": backend,
        "voice": voice_id,
        "voice_source": voice_source,
        "voice_license": licence,
        "options": opts,
        "text_hash": cache.text_hash(clean),
        "text_chars": len(clean),
        "cache_key": key,
        "duration_s": round(duration, 4),
        "sample_rate": rate,
        "synth_seconds": round(synth_s, 4),
        "rtf": round(rtf, 5),
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "thtui_version": __version__,
        **extra,
    }
    sidecar = cache.write_provenance(dest, record)
    return cache.TtsResult(dest, duration, rtf, backend, voice_id, False, record["text_hash"], sidecar)


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


def export(result: cache.TtsResult, dest: Path | str) -> Path:
    return cache.export(result, dest)
