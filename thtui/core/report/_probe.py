"""Just enough probing for the grid and thumbnails, through plain ffmpeg (the imageio bundle has no
ffprobe): duration, first video stream size/fps, whether there is audio.

Parsing `ffmpeg -i` banner text is a fallback; thtui.core.media.probe is preferred when present."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from thtui.core import tools


@dataclass(frozen=True)
class VideoInfo:
    duration: float
    width: int
    height: int
    fps: float
    has_audio: bool


class ProbeError(RuntimeError):
    pass


_DURATION = re.compile(r"Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: .*?(\d{2,5})x(\d{2,5})")
_FPS = re.compile(r"([\d.]+) fps")


def probe_video(path: Path) -> VideoInfo:
    info = _probe_with_media(path)
    if info is not None:
        return info
    ff = tools.ffmpeg()
    if not ff.found:
        raise ProbeError("ffmpeg not found (install imageio-ffmpeg or ffmpeg)")
    p = subprocess.run(
        [ff.path, "-hide_banner", "-nostdin", "-i", str(path)],  # type: ignore[list-item]
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    text = p.stderr
    dur = _DURATION.search(text)
    video_line = next((ln for ln in text.splitlines() if ": Video: " in ln), None)
    if not dur or not video_line:
        raise ProbeError(f"{path}: not a readable video ({(text.strip().splitlines() or ['?'])[-1]})")
    size = _VIDEO.search(video_line)
    if not size:
        raise ProbeError(f"{path}: no video size in {video_line.strip()!r}")
    fps = _FPS.search(video_line)
    h, m, s = dur.groups()
    return VideoInfo(
        duration=int(h) * 3600 + int(m) * 60 + float(s),
        width=int(size.group(1)),
        height=int(size.group(2)),
        fps=float(fps.group(1)) if fps else 25.0,
        has_audio=": Audio: " in text,
    )


def _probe_with_media(path: Path) -> VideoInfo | None:
    """Use the shared media helper when it exists and answers; any mismatch falls back to our parser."""
    try:
        from thtui.core import media  # type: ignore[attr-defined]

        info = media.probe(path)
    except Exception:
        return None
    try:
        v = info.video  # type: ignore[attr-defined]
        return VideoInfo(
            duration=float(info.duration),  # type: ignore[attr-defined]
            width=int(v.width),
            height=int(v.height),
            fps=float(getattr(v, "fps", 25.0) or 25.0),
            has_audio=info.audio is not None,  # type: ignore[attr-defined]
        )
    except Exception:
        return None
