"""The runs engine's only contact with input checks and preparation, media checks and TTS
(thtui.core.inputs, thtui.core.media, thtui.core.tts): one place to adapt when those APIs move.
Imported lazily, so the process-tree and monitor parts of the runs engine load without them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from thtui.core.catalog import LoadedSolution
from thtui.core.config import Settings
from thtui.core.plan import InferencePlan
from thtui.core.wav_header import wav_seconds


def input_error_types() -> tuple[type[BaseException], ...]:
    from thtui.core.inputs import InputError

    return (InputError,)


def check_image(path: Path) -> None:
    from thtui.core.inputs import validate_image

    validate_image(Path(path))


def check_audio(path: Path, max_seconds: float | None = None) -> None:
    from thtui.core.inputs import validate_audio

    validate_audio(Path(path), max_seconds)


def check_video(path: Path) -> None:
    """The check `thtui check-inputs --video` makes first: a readable video stream of some length."""
    from thtui.core.inputs_video import check_video as check

    check(Path(path))


def prepare(plan: InferencePlan, loaded: LoadedSolution) -> None:
    """Write the plan's prepared inputs (image/audio/still video) at their `dest` paths. Raises
    InputError when this system cannot use them (no face where it needs one, audio over its limit)."""
    from thtui.core.inputs import prepare_inputs

    if any(item.kind == "video" for item in plan.inputs):  # the user's own video (thtui run --video)
        from thtui.core.inputs_video import prepare_video_inputs

        prepare_video_inputs(plan, loaded)
        return
    prepare_inputs(plan, loaded)


def synthesize(settings: Settings, text: str, backend: str, voice: str | None) -> Any:
    """TTS once per text (cached by the TTS module): a TtsResult (path, duration_s, rtf, backend, voice, cached)."""
    from thtui.core.tts import synthesize as tts_synthesize

    return tts_synthesize(settings, text, backend=backend, voice=voice)


def audio_seconds(path: Path) -> float | None:
    """Length of an audio file: from the WAV header when it is one (exact, no subprocess), else probed."""
    seconds = wav_seconds(path)
    if seconds is not None:
        return seconds
    from thtui.core.media import MediaError, probe

    try:
        return probe(Path(path)).duration_s
    except MediaError:
        return None


def validate_result(path: Path, expected_s: float | None, tolerance_s: float) -> str | None:
    """None when `path` is a playable video with video and audio streams whose duration is within
    `tolerance_s` of `expected_s`; else what is wrong, in one line."""
    from thtui.core.media import MediaError, validate_video

    try:
        check = validate_video(Path(path), expected_s, tolerance_s)
    except MediaError as exc:  # ffmpeg itself failed (the check never raises for a bad file)
        return str(exc)
    return None if check.ok else "; ".join(check.problems) or "invalid video"
