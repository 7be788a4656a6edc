"""Decode a video for scoring: frames resampled to 25 fps as raw RGB through an ffmpeg pipe, and the
speech as 16 kHz mono samples.

The resampling is the `fps` *filter* (`-vf fps=25`), never the output option `-r 25`: `-r` shifted a 30 fps
copy by about 1.5 frames in a check (ffmpeg 5.1) and produced a false lip-sync offset. Frames are streamed
one at a time so a long video never sits in memory whole.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from thtui.core.media.errors import InputError, MediaError, check_file
from thtui.core.media.ffmpeg_exec import ff_path, ffmpeg_exe, stderr_tail

if TYPE_CHECKING:
    import numpy as np

SCORE_FPS = 25
MAX_SIDE = 720  # bigger videos are scaled down: landmarks and crops need no more, decode stays bounded
MIN_SOURCE_FPS = 10.0  # below this, 25 fps frames are mostly duplicates: timing scores would be invented


@dataclass(frozen=True)
class VideoSource:
    path: Path
    width: int  # as decoded (after any downscale)
    height: int
    source_fps: float | None
    duration_s: float | None
    has_audio: bool


def open_video(path: Path | str) -> VideoSource:
    """Check that `path` is a readable video; InputError naming it otherwise."""
    from thtui.core.media.probe import probe

    p = check_file(path, "video")
    try:
        info = probe(p)
    except MediaError as exc:
        raise InputError(f"cannot read video {p}: {exc}", kind="video", code="unreadable", path=p) from None
    if info.is_image:
        raise InputError(f"{p} is a still image, not a video", kind="video", code="not_video", path=p)
    stream = info.video
    if stream is None or not stream.width or not stream.height:
        raise InputError(f"{p} has no video stream", kind="video", code="no_video", path=p)
    scale = min(1.0, MAX_SIDE / max(stream.width, stream.height))
    width = max(2, int(stream.width * scale) // 2 * 2)
    height = max(2, int(stream.height * scale) // 2 * 2)
    return VideoSource(p, width, height, stream.fps, info.duration_s, info.has_audio)


def iter_frames(src: VideoSource, fps: int = SCORE_FPS) -> Iterator[np.ndarray]:
    """RGB uint8 frames (height, width, 3) at `fps`, in order."""
    import numpy as np

    argv = [
        ffmpeg_exe(),
        *("-hide_banner", "-nostdin", "-loglevel", "error"),
        *("-i", ff_path(src.path), "-map", "0:v:0", "-an", "-sn"),
        *("-vf", f"fps={fps},scale={src.width}:{src.height}:flags=area"),
        *("-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:"),
    ]
    size = src.width * src.height * 3
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    try:
        while True:
            buf = proc.stdout.read(size)
            if len(buf) < size:
                break
            yield np.frombuffer(buf, dtype=np.uint8).reshape(src.height, src.width, 3)
    finally:
        proc.stdout.close()
        err = proc.stderr.read() if proc.stderr else b""
        code = proc.wait()
    if code != 0:
        raise MediaError(f"decoding {src.path.name}: ffmpeg exited with code {code}: {stderr_tail(err)}")


def load_audio(path: Path | str, rate: int = 16000) -> np.ndarray:
    """Mono float samples in [-1, 1] of the first audio stream of `path` (a WAV or a video)."""
    import numpy as np

    from thtui.core.media.audio import decode_mono

    # On the file's timeline: a delay carried by the streams' start times is read as the delay it plays as.
    return decode_mono(path, rate=rate, timeline=True).astype(np.float32) / 32768.0
