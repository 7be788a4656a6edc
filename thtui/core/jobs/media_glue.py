"""The runs engine's only contact with input preparation, media checks and TTS (thtui.core.inputs,
thtui.core.media, thtui.core.tts). Kept in one place so those APIs can evolve without touching the
runner or the scheduler."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

from thtui.core.catalog import LoadedSolution
from thtui.core.config import Settings
from thtui.core.plan import InferencePlan


def input_error_types() -> tuple[type[BaseException], ...]:
    from thtui.core.inputs import InputError

    return (InputError,)


def check_image(path: Path) -> None:
    from thtui.core.inputs import validate_image

    validate_image(Path(path))


def check_audio(path: Path, max_seconds: float | None = None) -> None:
    from thtui.core.inputs import validate_audio

    validate_audio(Path(path), max_seconds)


def prepare(plan: InferencePlan, loaded: LoadedSolution) -> None:
    """Write the plan's prepared inputs (image/audio/still video) at their `dest` paths."""
    from thtui.core.inputs import prepare_inputs

    prepare_inputs(plan, loaded)


def synthesize(settings: Settings, text: str, backend: str, voice: str | None) -> Any:
    """TTS once per text: returns a TtsResult (path, duration_s, rtf, backend, voice, cached)."""
    from thtui.core.tts import synthesize as tts_synthesize

    return tts_synthesize(settings, text, backend=backend, voice=voice)


def audio_seconds(path: Path) -> float | None:
    """Length of an audio file: from the WAV header when it is one (exact, no subprocess), else probed."""
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() / float(w.getframerate())
    except (wave.Error, EOFError, OSError):
        pass
    try:
        from thtui.core.media import probe

        info = probe(Path(path))
    except Exception:
        return None
    value = info.get("duration") if isinstance(info, dict) else getattr(info, "duration", None)
    if value is None and not isinstance(info, dict):
        value = getattr(info, "duration_s", None)
    return float(value) if value is not None else None


def validate_result(path: Path, expected_s: float | None, tolerance_s: float) -> str | None:
    """None when `path` is a playable video with video and audio streams whose duration is within
    `tolerance_s` of `expected_s`; else what is wrong, in one line."""
    from thtui.core.media import validate_video

    try:
        verdict = validate_video(Path(path), expected_s, tolerance_s)
    except Exception as exc:  # the media module raises on an invalid file
        return str(exc) or type(exc).__name__
    return _problem_of(verdict)


def _problem_of(verdict: Any) -> str | None:
    if verdict is None or verdict is True:
        return None
    if verdict is False:
        return "invalid video"
    if isinstance(verdict, str):
        return verdict or None
    if isinstance(verdict, list | tuple):
        return "; ".join(str(p) for p in verdict) or None
    ok = getattr(verdict, "ok", getattr(verdict, "valid", None))
    problems = getattr(verdict, "problems", None) or getattr(verdict, "errors", None)
    if ok is False or problems:
        if isinstance(problems, list | tuple):
            return "; ".join(str(p) for p in problems) or "invalid video"
        return str(
            problems or getattr(verdict, "reason", None) or getattr(verdict, "error", None) or "invalid video"
        )
    return None
