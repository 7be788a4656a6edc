"""Video: still image -> video, output normalisation (h264 yuv420p + aac, faststart), thumbnails, and
the output check the runner applies to whatever an upstream script wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import ffmpeg as ffmpeg_python

from thtui.core.media.atomic import atomic_output, write_bytes_atomic
from thtui.core.media.errors import MediaError
from thtui.core.media.ffmpeg_exec import ff_path, pick_encoder, run_stream
from thtui.core.media.probe import MediaInfo, probe

_EVEN = "trunc(iw/2)*2:trunc(ih/2)*2"


def _h264() -> str:
    return pick_encoder("libx264", "libopenh264", "h264")


def _h264_opts(encoder: str, *, still: bool = False, crf: int = 18) -> dict:
    if encoder == "libx264":
        opts: dict = {"preset": "veryfast", "crf": crf}
        if still:
            opts["tune"] = "stillimage"
        return opts
    return {"b:v": "4M"}


def still_to_video(
    image: Path | str, dest: Path | str, duration_s: float, *, fps: int = 25, audio: Path | str | None = None
) -> Path:
    """Hold `image` for `duration_s` at `fps` as h264 yuv420p mp4 (silent unless `audio` is given)."""
    if duration_s <= 0:
        raise ValueError(f"duration must be positive, got {duration_s}")
    dest = Path(dest)
    encoder = _h264()
    # pattern_type none: a '%' in the path is a literal character, not an image-sequence pattern.
    video = (
        ffmpeg_python.input(
            ff_path(image), f="image2", loop=1, framerate=fps, pattern_type="none", t=f"{duration_s:.3f}"
        )
        .video.filter("scale", _EVEN.split(":")[0], _EVEN.split(":")[1])
        .filter("format", "yuv420p")
    )
    streams = [video]
    out_kw: dict = {"vcodec": encoder, "r": fps, "format": "mp4", "movflags": "+faststart"}
    out_kw.update(_h264_opts(encoder, still=True))
    if audio is not None:
        streams.append(ffmpeg_python.input(ff_path(audio))["a:0"])
        out_kw.update({"acodec": "aac", "audio_bitrate": "128k", "t": f"{duration_s:.3f}"})
    with atomic_output(dest) as tmp:
        run_stream(ffmpeg_python.output(*streams, ff_path(tmp), **out_kw), what=f"making {dest.name}")
    return dest


def normalize_video(
    src: Path | str,
    dest: Path | str,
    *,
    audio: Path | str | None = None,
    fps: int | None = None,
    crf: int = 18,
    shortest: bool = False,
) -> Path:
    """Re-encode to what every player and browser accepts: h264 yuv420p (even size) + aac, faststart.

    `audio` replaces the source's audio track (Audio2Head-style outputs are silent or carry a
    resampled copy); without it the source's own audio is kept when it has one. `shortest` ends the
    output with the shorter of the two streams."""
    dest = Path(dest)
    info = probe(src)
    if not info.has_video:
        raise MediaError(f"{Path(src).name} has no video stream to normalise ({info.describe()})")
    encoder = _h264()
    video = (
        ffmpeg_python.input(ff_path(src))["v:0"]
        .filter("scale", *_EVEN.split(":"))
        .filter("format", "yuv420p")
    )
    streams = [video]
    out_kw: dict = {"vcodec": encoder, "format": "mp4", "movflags": "+faststart"}
    out_kw.update(_h264_opts(encoder, crf=crf))
    if fps:
        out_kw["r"] = fps
    if audio is not None:
        streams.append(ffmpeg_python.input(ff_path(audio))["a:0"])
    elif info.has_audio:
        streams.append(ffmpeg_python.input(ff_path(src))["a:0"])
    if len(streams) == 2:
        out_kw.update({"acodec": "aac", "audio_bitrate": "128k"})
        if shortest:
            out_kw["shortest"] = None
    with atomic_output(dest) as tmp:
        run_stream(
            ffmpeg_python.output(*streams, ff_path(tmp), **out_kw), what=f"normalising {Path(src).name}"
        )
    return dest


def thumbnail(video: Path | str, dest: Path | str, at_s: float = 0.0, *, width: int | None = None) -> Path:
    """The frame at `at_s` seconds as PNG (clamped into the video). Written atomically."""
    info = probe(video)
    if not info.has_video:
        raise MediaError(f"{Path(video).name} has no video stream ({info.describe()})")
    if info.duration_s:
        at_s = min(max(at_s, 0.0), max(info.duration_s - 0.05, 0.0))
    stream = ffmpeg_python.input(ff_path(video), ss=f"{max(at_s, 0.0):.3f}")["v:0"]
    if width:
        stream = stream.filter("scale", width, -2)
    out = stream.output("pipe:", vframes=1, format="image2pipe", vcodec="png")
    png = run_stream(out, stdout=True, what=f"thumbnail of {Path(video).name}")
    if not png:
        raise MediaError(f"no frame at {at_s:.2f} s in {Path(video).name}")
    return write_bytes_atomic(dest, png)


@dataclass(frozen=True)
class VideoCheck:
    """Result of `validate_video`: ok, or the list of what is wrong (each a full sentence)."""

    path: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    info: MediaInfo | None = None

    @property
    def duration_s(self) -> float | None:
        return self.info.duration_s if self.info else None


def validate_video(
    path: Path | str, expected_duration: float | None = None, tolerance: float = 0.5
) -> VideoCheck:
    """Does `path` hold a playable result: a video stream, an audio stream, and a duration within
    `tolerance` seconds of `expected_duration` (skipped when None)? Never raises for a bad file."""
    p = Path(path)
    if not p.exists():
        return VideoCheck(str(p), False, [f"no output file at {p}"])
    if not p.is_file():
        return VideoCheck(str(p), False, [f"output is not a file: {p}"])
    if p.stat().st_size == 0:
        return VideoCheck(str(p), False, [f"output file is empty (0 bytes): {p}"])
    try:
        info = probe(p)
    except MediaError as exc:
        return VideoCheck(str(p), False, [f"output is not readable media: {p} ({exc})"])
    problems = []
    if not info.has_video or info.is_image:
        problems.append(f"output has no video stream: {p} ({info.describe()})")
    if not info.has_audio:
        problems.append(f"output has no audio stream: {p} ({info.describe()})")
    if expected_duration is not None:
        if info.duration_s is None:
            problems.append(f"output duration is unknown: {p}")
        elif abs(info.duration_s - expected_duration) > tolerance:
            problems.append(
                f"output is {info.duration_s:.2f} s long, expected {expected_duration:.2f} s "
                f"(± {tolerance:g} s): {p}"
            )
    return VideoCheck(str(p), not problems, problems, info)
