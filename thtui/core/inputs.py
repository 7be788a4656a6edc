"""Validate the user's image and audio, then prepare them the way each system's manifest asks.

    check_inputs(loaded, image, audio) -> (ImageInfo, AudioInfo)   cheap; run before any GPU time
    prepare_inputs(plan, loaded) -> list[PreparedFile]              writes every PreparedInput.dest
    validate_image(path) / validate_audio(path, max_seconds)        raise InputError (a ValueError)

The user's files are only ever read. Every prepared file is written atomically, and when one step
fails everything this call wrote is removed again, so a job dir never holds half-prepared inputs.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from thtui.core import faces
from thtui.core.catalog.loader import LoadedSolution
from thtui.core.catalog.schema import AudioPrep, ImagePrep
from thtui.core.events import Event, EventSink, discard
from thtui.core.input_formats import suffix_problem
from thtui.core.media import audio as media_audio
from thtui.core.media import image as media_image
from thtui.core.media.errors import InputError, MediaError, check_file, looks_like_text
from thtui.core.media.probe import probe
from thtui.core.media.video import still_to_video
from thtui.core.plan import InferencePlan
from thtui.core.wording import plural

__all__ = [
    "AudioInfo",
    "ImageInfo",
    "InputError",
    "InputPrepared",
    "PreparedFile",
    "check_inputs",
    "default_max_audio_seconds",
    "prepare_audio",
    "prepare_image",
    "prepare_inputs",
    "validate_audio",
    "validate_image",
]

MAX_AUDIO_ENV = "THTUI_MAX_AUDIO_SECONDS"
DEFAULT_MAX_AUDIO_SECONDS = 600.0  # 10 minutes: longer clips cost hours of GPU time on most systems
MIN_AUDIO_SECONDS = 0.2
SILENCE_DBFS = -50.0  # peak below this: nothing for a mouth to follow


@dataclass(frozen=True)
class ImageInfo:
    path: str
    width: int  # after EXIF orientation
    height: int
    format: str  # what the bytes are (PNG, JPEG, ...), whatever the extension says
    face: faces.Face | None = None  # set when a face check ran


@dataclass(frozen=True)
class AudioInfo:
    path: str
    duration_s: float
    container: str
    codec: str
    sample_rate: int | None
    channels: int | None
    peak_dbfs: float
    rms_dbfs: float


@dataclass(frozen=True)
class PreparedFile:
    kind: str  # "image" | "audio" | "still_video"
    source: str  # what it was made from (the user's file, or the prepared image)
    path: str  # the PreparedInput.dest that now exists
    steps: list[str]  # what was actually done, in order
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InputPrepared(Event):
    kind: str
    path: str
    summary: str


def default_max_audio_seconds() -> float:
    """THTUI_MAX_AUDIO_SECONDS, else 600 s."""
    raw = os.environ.get(MAX_AUDIO_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_AUDIO_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise InputError(
            f"{MAX_AUDIO_ENV}={raw!r} is not a number of seconds", kind="audio", code="config"
        ) from None
    if not value > 0:
        raise InputError(
            f"{MAX_AUDIO_ENV}={raw!r} must be a positive number of seconds", kind="audio", code="config"
        )
    return value


# ---- validation ----------------------------------------------------------------------------------


def validate_image(path: Path | str) -> ImageInfo:
    """A readable still image Pillow can fully decode, at least 64x64, named with one of
    thtui.core.input_formats.IMAGE_SUFFIXES (the TUI's picker offers the same). Raises InputError."""
    img = media_image.load_image(path)
    with Image.open(path) as raw:
        fmt = raw.format or "unknown"
    _require_suffix(path, "image")
    return ImageInfo(str(path), img.width, img.height, fmt)


def _require_suffix(path: Path | str, kind: str) -> None:
    problem = suffix_problem(path, kind)
    if problem:
        raise InputError(f"{problem}; rename or convert it", kind=kind, code="extension", path=path)


# Far above what any system uses (the largest upstream input is 512 px): a bigger portrait is scaled down
# once when prepared for a system that keeps the size (the baselines), instead of encoding an 8000x6000
# H.264 video (182 s, 5.2 GB of RAM, a level most players refuse).
MAX_LONG_SIDE = 2048


def size_note(info: ImageInfo) -> str | None:
    """What check-inputs says about a portrait larger than MAX_LONG_SIDE, else None."""
    if max(info.width, info.height) <= MAX_LONG_SIDE:
        return None
    return (
        f"note: {info.width}x{info.height} is far above what any system uses; it is scaled down once to "
        f"{MAX_LONG_SIDE} px on the long side for systems that keep the image size (the static baseline)"
    )


def _image_kind(p: Path) -> str | None:
    """'PNG 64x64' when Pillow recognises `p` as an image (header only), else None."""
    try:
        with Image.open(p) as im:
            return f"{im.format} {im.width}x{im.height}"
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def validate_audio(path: Path | str, max_seconds: float | None = None, *, limit_owner: str = "") -> AudioInfo:
    """Decodable audio with sound in it, between 0.2 s and `max_seconds` (default:
    THTUI_MAX_AUDIO_SECONDS or 600 s). Video files with an audio track count as audio.
    Raises InputError naming the file and the problem."""
    p = check_file(path, "audio")
    limit = default_max_audio_seconds() if max_seconds is None else float(max_seconds)
    owner = f" for {limit_owner}" if limit_owner else ""
    image_kind = _image_kind(p)
    if image_kind:
        raise InputError(
            f"not audio: {p} is an image ({image_kind}); pass it as the image instead",
            kind="audio",
            code="is_image",
            path=p,
        )
    try:
        info = probe(p)
    except MediaError as exc:
        if looks_like_text(p):
            raise InputError(
                f"not audio: {p} contains text, not audio data", kind="audio", code="text_file", path=p
            ) from None
        raise InputError(
            f"not audio: {p} is not a format ffmpeg can read ({exc})", kind="audio", code="not_audio", path=p
        ) from None
    if not info.has_audio:
        if info.is_image:
            why, code = f"is an image ({info.describe()}); pass it as the image instead", "is_image"
        elif info.has_video:
            why, code = f"is a video without an audio track ({info.describe()})", "no_audio_stream"
        else:
            why, code = f"has no audio stream ({info.describe()})", "no_audio_stream"
        raise InputError(f"not audio: {p} {why}", kind="audio", code=code, path=p)

    def too_long(seconds: float) -> InputError:
        return InputError(
            f"audio is too long: {p} is {seconds:.1f} s; the limit is {limit:g} s{owner} "
            f"(trim it, or raise {MAX_AUDIO_ENV})",
            kind="audio",
            code="too_long",
            path=p,
        )

    _require_suffix(p, "audio")  # decodable, but the TUI's picker would not offer it: one list for both
    if info.duration_s is not None and info.duration_s > limit + 0.05:
        raise too_long(info.duration_s)  # before decoding an hour of audio just to refuse it
    try:
        levels = media_audio.measure(p, max_seconds=limit + 1.0)
    except MediaError as exc:
        raise InputError(f"audio is corrupt: {p} ({exc})", kind="audio", code="corrupt", path=p) from None
    if levels.duration_s == 0:
        raise InputError(f"audio contains no samples: {p}", kind="audio", code="no_samples", path=p)
    if levels.duration_s < MIN_AUDIO_SECONDS:
        raise InputError(
            f"audio is too short: {p} is {levels.duration_s:.2f} s; at least {MIN_AUDIO_SECONDS:g} s is needed",
            kind="audio",
            code="too_short",
            path=p,
        )
    if levels.duration_s > limit + 0.05:
        raise too_long(levels.duration_s)
    if levels.peak_dbfs < SILENCE_DBFS:
        peak = "-inf" if math.isinf(levels.peak_dbfs) else f"{levels.peak_dbfs:.1f}"
        raise InputError(
            f"audio is silent: {p} (peak level {peak} dBFS; speech needs at least {SILENCE_DBFS:g} dBFS)",
            kind="audio",
            code="silent",
            path=p,
        )
    a = info.audio
    assert a is not None
    return AudioInfo(
        str(p),
        levels.duration_s,
        info.format_name,
        a.codec,
        a.sample_rate,
        a.channels,
        levels.peak_dbfs,
        levels.rms_dbfs,
    )


def _require_face(img: Image.Image, p: Path, who: str) -> faces.Face:
    face = faces.best_face(img)
    if face is None:
        raise InputError(
            f"no face detected in {p}: {who or 'this system'} needs a clearly visible, roughly frontal face "
            f"(detector: {faces.detector_name()})",
            kind="image",
            code="no_face",
            path=p,
        )
    return face


def check_inputs(
    loaded: LoadedSolution, image: Path | str, audio: Path | str, *, max_audio_seconds: float | None = None
) -> tuple[ImageInfo, AudioInfo]:
    """Everything about the inputs that can fail, checked for one system before any GPU time is spent:
    both files valid, a face where the manifest needs one, audio within the system's length limit."""
    sol = loaded.solution
    info = validate_image(image)
    if sol.inputs.image.face_required:
        face = _require_face(media_image.load_image(image), Path(image), sol.name)
        info = ImageInfo(info.path, info.width, info.height, info.format, face)
    limit, owner = _audio_limit(loaded, max_audio_seconds)
    return info, validate_audio(audio, limit, limit_owner=owner)


def _audio_limit(loaded: LoadedSolution, override: float | None) -> tuple[float, str]:
    if override is not None:
        return override, ""
    own = loaded.solution.inputs.max_audio_seconds
    default = default_max_audio_seconds()
    if own is not None and own < default:
        return own, loaded.solution.name
    return default, ""


# ---- preparation ---------------------------------------------------------------------------------


def prepare_image(
    src: Path | str, dest: Path | str, prep: ImagePrep, *, solution: str = "", face: faces.Face | None = None
) -> PreparedFile:
    """Load (EXIF, RGB), crop and size per `prep`, save as prep.format at `dest`, atomically."""
    src_p, dest_p = Path(src), Path(dest)
    if prep.single_dot_name and (str(dest_p).count(".") != 1 or dest_p.suffix != dest_p.suffix.lower()):
        raise ValueError(
            f"{solution or 'this system'} needs a path with one dot and a lower-case extension: {dest_p}"
        )
    img = media_image.load_image(src_p)
    steps = ["applied EXIF orientation", "converted to RGB"]
    details: dict[str, Any] = {"source_size": list(img.size)}
    if face is None and (prep.crop == "face" or prep.face_required):
        face = faces.best_face(img)
        if face is None and prep.face_required:
            _require_face(img, src_p, solution)  # raises the one no-face message
    if face is not None:
        details["face"] = faces.describe(face)
    square = False
    if prep.crop == "face" and face is not None:
        box = faces.head_box(face, img.size)
        img, square = media_image.crop_box(img, box), True
        steps.append(
            f"cropped the head square {box.width}px at ({box.left},{box.top}) around the detected face"
        )
        details["crop"] = list(box.as_tuple())
    elif prep.crop in ("face", "center"):
        box = media_image.center_square(img.size)
        img, square = media_image.crop_box(img, box), True
        why = "no face found: " if prep.crop == "face" else ""
        steps.append(f"{why}cropped the centred square {box.width}px")
        details["crop"] = list(box.as_tuple())
    if prep.size:
        if square:
            img = media_image.resize_square(img, prep.size)
            steps.append(f"resized to {prep.size}x{prep.size}")
        else:
            img = media_image.fit_square(img, prep.size)
            steps.append(f"fitted into {prep.size}x{prep.size} (padded, not stretched)")
    else:
        before = img.size
        if max(img.size) > MAX_LONG_SIDE:
            img = media_image.cap_long_side(img, MAX_LONG_SIDE)
            steps.append(
                f"scaled down from {before[0]}x{before[1]} to {img.width}x{img.height} (long side {MAX_LONG_SIDE} px)"
            )
            before = img.size
        img = media_image.even_size(img)
        if img.size != before:
            steps.append(f"trimmed to even size {img.width}x{img.height}")
    media_image.save_image(img, dest_p, prep.format)
    steps.append(f"saved as {prep.format.upper()}")
    details["size"] = list(img.size)
    return PreparedFile("image", str(src_p), str(dest_p), steps, details)


def prepare_audio(src: Path | str, dest: Path | str, prep: AudioPrep) -> PreparedFile:
    media_audio.normalize_audio(src, dest, rate=prep.rate, channels=prep.channels, fmt=prep.format)
    kind = "16-bit PCM WAV" if prep.format == "wav" else "MP3"
    steps = [
        f"decoded with ffmpeg, resampled to {prep.rate} Hz, {plural(prep.channels, 'channel')}",
        f"saved as {kind}",
    ]
    return PreparedFile("audio", str(src), str(dest), steps, {"rate": prep.rate, "channels": prep.channels})


def prepare_inputs(
    plan: InferencePlan,
    loaded: LoadedSolution,
    *,
    sink: EventSink = discard,
    max_audio_seconds: float | None = None,
) -> list[PreparedFile]:
    """Validate, then write every `plan.inputs[i].dest`. On any error nothing written here remains."""
    sol = loaded.solution
    by_kind = {item.kind: item for item in plan.inputs}
    for item in plan.inputs:
        if item.kind != "still_video" and _same_file(item.source, item.dest):
            raise ValueError(f"refusing to prepare {item.source} onto itself")
    image_info, audio_info = check_inputs(
        loaded, by_kind["image"].source, by_kind["audio"].source, max_audio_seconds=max_audio_seconds
    )
    written: list[Path] = []
    created_dirs: list[Path] = []
    try:
        for d in sorted({Path(item.dest).parent for item in plan.inputs}):
            missing = [p for p in [d, *d.parents] if not p.exists()]
            d.mkdir(parents=True, exist_ok=True)
            created_dirs.extend(reversed(missing))
        out: list[PreparedFile] = []
        for item in plan.inputs:
            if item.kind == "image":
                prepared = prepare_image(
                    item.source, item.dest, sol.inputs.image, solution=sol.name, face=image_info.face
                )
            elif item.kind == "audio":
                prepared = prepare_audio(item.source, item.dest, sol.inputs.audio)
            elif item.kind == "still_video":
                still_to_video(item.source, item.dest, audio_info.duration_s, fps=sol.inputs.fps)
                steps = [
                    f"held the prepared image for {audio_info.duration_s:.2f} s at {sol.inputs.fps} fps, h264 yuv420p"
                ]
                prepared = PreparedFile(
                    "still_video", item.source, item.dest, steps, {"duration_s": audio_info.duration_s}
                )
            else:
                raise ValueError(f"unknown input kind {item.kind!r} in the plan")
            written.append(Path(item.dest))
            out.append(prepared)
            sink(InputPrepared(kind=item.kind, path=item.dest, summary="; ".join(prepared.steps)))
        return out
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        for d in reversed(created_dirs):
            with contextlib.suppress(OSError):
                d.rmdir()  # only if still empty: never removes anything else
        raise


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(b).exists() and os.path.samefile(a, b)
    except OSError:
        return False
