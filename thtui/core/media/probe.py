"""What is in a media file: container, duration, streams (codec, size, fps, rate, channels).

Uses ffprobe when the machine has one; the bundled imageio-ffmpeg binary has none, so otherwise the
stream summary that `ffmpeg -i FILE` prints to stderr is parsed (its layout has been stable for a
decade). Both paths return the same `MediaInfo`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from thtui.core import tools
from thtui.core.media.errors import MediaError
from thtui.core.media.ffmpeg_exec import ff_path, ffmpeg_exe, stderr_tail

# Demuxers that mean "a single still picture", not a video.
IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "gif", "gif_pipe"}
_PROBE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class StreamInfo:
    index: int
    kind: str  # "video" | "audio" | "subtitle" | "data" | "attachment"
    codec: str
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    pix_fmt: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    attached_pic: bool = False  # cover art inside an audio file: not a video


@dataclass(frozen=True)
class MediaInfo:
    path: str
    format_name: str
    duration_s: float | None
    streams: tuple[StreamInfo, ...] = field(default_factory=tuple)
    size_bytes: int = 0

    @property
    def video_streams(self) -> list[StreamInfo]:
        return [s for s in self.streams if s.kind == "video" and not s.attached_pic]

    @property
    def audio_streams(self) -> list[StreamInfo]:
        return [s for s in self.streams if s.kind == "audio"]

    @property
    def video(self) -> StreamInfo | None:
        return next(iter(self.video_streams), None)

    @property
    def audio(self) -> StreamInfo | None:
        return next(iter(self.audio_streams), None)

    @property
    def has_video(self) -> bool:
        return self.video is not None

    @property
    def has_audio(self) -> bool:
        return self.audio is not None

    @property
    def is_image(self) -> bool:
        """A still picture (PNG/JPEG/...), as ffmpeg sees it."""
        first = self.format_name.split(",")[0]
        return self.has_video and not self.has_audio and first in IMAGE_FORMATS

    def describe(self) -> str:
        parts = [self.format_name.split(",")[0]]
        if self.duration_s is not None:
            parts.append(f"{self.duration_s:.2f} s")
        for s in self.video_streams:
            parts.append(f"video {s.codec} {s.width}x{s.height}" + (f" {s.fps:g} fps" if s.fps else ""))
        for s in self.audio_streams:
            parts.append(f"audio {s.codec} {s.sample_rate} Hz {s.channels} ch")
        return ", ".join(parts)


def probe(path: Path | str, *, use_ffprobe: bool | None = None) -> MediaInfo:
    """Probe a file. Raises MediaError with ffmpeg's own reason when it cannot be opened as media."""
    p = Path(path)
    if use_ffprobe is None:
        use_ffprobe = tools.ffprobe().found
    if use_ffprobe:
        exe = tools.ffprobe().path
        if not exe:
            raise MediaError("ffprobe not found")
        return _probe_ffprobe(str(exe), p)
    return _probe_ffmpeg(p)


# ---- ffprobe -------------------------------------------------------------------------------------


def _probe_ffprobe(exe: str, p: Path) -> MediaInfo:
    argv = [exe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams", ff_path(p)]
    proc = subprocess.run(
        argv, capture_output=True, stdin=subprocess.DEVNULL, timeout=_PROBE_TIMEOUT_S, check=False
    )
    if proc.returncode != 0:
        raise MediaError(stderr_tail(proc.stderr))
    return parse_ffprobe_json(str(p), json.loads(proc.stdout or b"{}"), _size(p))


def _fraction(text: str | None) -> float | None:
    if not text or text in ("0/0", "N/A"):
        return None
    num, _, den = text.partition("/")
    try:
        value = float(num) / float(den or 1)
    except (ValueError, ZeroDivisionError):
        return None
    return value or None


def _float(text: object) -> float | None:
    try:
        return float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def parse_ffprobe_json(path: str, data: dict, size_bytes: int = 0) -> MediaInfo:
    fmt = data.get("format") or {}
    streams = []
    for s in data.get("streams") or []:
        kind = s.get("codec_type") or "data"
        streams.append(
            StreamInfo(
                index=int(s.get("index", len(streams))),
                kind=kind,
                codec=s.get("codec_name") or "unknown",
                width=s.get("width"),
                height=s.get("height"),
                fps=_fraction(s.get("avg_frame_rate")) or _fraction(s.get("r_frame_rate"))
                if kind == "video"
                else None,
                pix_fmt=s.get("pix_fmt"),
                sample_rate=int(s["sample_rate"]) if s.get("sample_rate") else None,
                channels=s.get("channels"),
                attached_pic=bool((s.get("disposition") or {}).get("attached_pic")),
            )
        )
    return MediaInfo(
        path, fmt.get("format_name") or "unknown", _float(fmt.get("duration")), tuple(streams), size_bytes
    )


# ---- ffmpeg -i -----------------------------------------------------------------------------------

_INPUT = re.compile(r"^Input #0, (?P<fmt>\S+), from '")
_DURATION = re.compile(r"^\s+Duration: (?:(?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d(?:\.\d+)?)|N/A)")
_STREAM = re.compile(
    r"^\s+Stream #0:(?P<idx>\d+)\S*: (?P<kind>Video|Audio|Subtitle|Data|Attachment): (?P<rest>.*)$"
)
_SIZE = re.compile(r"(?<![\w.])([1-9]\d{0,5})x([1-9]\d{0,5})(?![\w])")
_FPS = re.compile(r"([\d.]+)(k?) fps")
_TBR = re.compile(r"([\d.]+)(k?) tbr")
_RATE = re.compile(r"(\d+) Hz")
_LAYOUTS = {"mono": 1, "stereo": 2, "2.1": 3, "quad": 4, "4.0": 4, "5.0": 5, "5.1": 6, "6.1": 7, "7.1": 8}


def _probe_ffmpeg(p: Path) -> MediaInfo:
    # ffmpeg echoes the file name into the text we parse; a name holding a newline could fake a line,
    # so such files are probed through a plain-named symlink.
    if any(c in str(p) for c in "\r\n"):
        with tempfile.TemporaryDirectory(prefix="thtui-probe-") as tmp:
            alias = Path(tmp) / ("input" + "".join(c for c in p.suffix if c.isalnum() or c == "."))
            os.symlink(p.absolute(), alias)
            info = _probe_ffmpeg(alias)
        return MediaInfo(str(p), info.format_name, info.duration_s, info.streams, info.size_bytes)
    argv = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", ff_path(p)]
    proc = subprocess.run(
        argv, capture_output=True, stdin=subprocess.DEVNULL, timeout=_PROBE_TIMEOUT_S, check=False
    )
    # Without an output ffmpeg always exits 1; success is "it printed an Input #0 block".
    stderr = proc.stderr.decode("utf-8", "replace")
    info = parse_ffmpeg_banner(str(p), stderr, _size(p))
    if info is None:
        lines = [ln for ln in stderr.splitlines() if "output file" not in ln.lower()]
        raise MediaError(stderr_tail("\n".join(lines), lines=1))
    return info


def parse_ffmpeg_banner(path: str, stderr: str, size_bytes: int = 0) -> MediaInfo | None:
    """Parse the `Input #0` block of `ffmpeg -i` output; None when ffmpeg could not open the input."""
    fmt: str | None = None
    duration: float | None = None
    streams: list[StreamInfo] = []
    for line in stderr.splitlines():
        if fmt is None:
            m = _INPUT.match(line)
            if m:
                fmt = m.group("fmt")
            continue
        if line.startswith(("Input #1", "Output #", "Stream mapping")):
            break
        m = _DURATION.match(line)
        if m:
            if m.group("h") is not None:
                duration = int(m.group("h")) * 3600 + int(m.group("m")) * 60 + float(m.group("s"))
            continue
        m = _STREAM.match(line)
        if m:
            streams.append(_parse_stream(int(m.group("idx")), m.group("kind").lower(), m.group("rest")))
    if fmt is None:
        return None
    return MediaInfo(path, fmt, duration, tuple(streams), size_bytes)


def _rate(m: re.Match[str] | None) -> float | None:
    if not m:
        return None
    return float(m.group(1)) * (1000 if m.group(2) else 1)


def _parse_stream(idx: int, kind: str, rest: str) -> StreamInfo:
    codec = re.split(r"[ ,]", rest, maxsplit=1)[0] or "unknown"
    attached = "(attached pic)" in rest
    if kind == "video":
        # Skip the codec tag "(avc1 / 0x31637661)" before looking for WxH.
        size = _SIZE.search(re.sub(r"\([^()]*0x[0-9A-Fa-f]+\)", "", rest))
        pix = rest.split(",")[1].strip().split("(")[0].strip() if "," in rest else None
        return StreamInfo(
            idx,
            kind,
            codec,
            width=int(size.group(1)) if size else None,
            height=int(size.group(2)) if size else None,
            fps=_rate(_FPS.search(rest)) or _rate(_TBR.search(rest)),
            pix_fmt=pix if pix and pix != "none" else None,
            attached_pic=attached,
        )
    if kind == "audio":
        rate = _RATE.search(rest)
        fields = [f.strip() for f in rest.split(",")]
        channels = None
        for f in fields[1:]:
            if f in _LAYOUTS:
                channels = _LAYOUTS[f]
                break
            m = re.match(r"(\d+) channels", f) or re.match(r"(\d+)\.(\d+)", f)
            if m:
                channels = int(m.group(1)) + (int(m.group(2)) if m.lastindex == 2 else 0)
                break
        return StreamInfo(
            idx, kind, codec, sample_rate=int(rate.group(1)) if rate else None, channels=channels
        )
    return StreamInfo(idx, kind, codec)


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0
