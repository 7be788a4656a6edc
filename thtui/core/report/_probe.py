"""The few facts the grid and thumbnails need about a video, via the shared media layer's probe (which
works without ffprobe): duration, first video stream size and fps, whether there is audio."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from thtui.core.media import probe


@dataclass(frozen=True)
class VideoInfo:
    duration: float
    width: int
    height: int
    fps: float
    has_audio: bool


class ProbeError(RuntimeError):
    pass


def probe_video(path: Path) -> VideoInfo:
    """Raises ProbeError for anything that is not a video with a size and a duration."""
    try:
        info = probe(path)
    except Exception as exc:  # MediaError and friends: the message names the file and the reason
        raise ProbeError(str(exc)) from exc
    v = info.video
    if v is None or not v.width or not v.height or not info.duration_s:
        raise ProbeError(f"{path}: not a playable video ({info.describe()})")
    return VideoInfo(
        duration=float(info.duration_s),
        width=int(v.width),
        height=int(v.height),
        fps=float(v.fps or 25.0),
        has_audio=info.has_audio,
    )
