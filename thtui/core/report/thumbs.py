"""Thumbnail strips: a few evenly spaced frames of a video as small JPEGs (bytes), one ffmpeg call."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

from PIL import Image

from thtui.core import tools
from thtui.core.report._probe import probe_video


def thumbnails(video: Path, count: int = 4, height: int = 120) -> list[bytes]:
    """`count` JPEG frames at 1/(2n), 3/(2n), ... of the video's length; [] when the video is unreadable.
    Decodes with ffmpeg to raw RGB at a known size, encodes with Pillow: no temp files, no image2pipe
    stream splitting."""
    ff = tools.ffmpeg()
    if not ff.found or count < 1:
        return []
    try:
        info = probe_video(video)
    except Exception:
        return []
    h = max(2, height // 2 * 2)
    w = max(2, int(round(h * info.width / info.height / 2)) * 2)
    frames: list[bytes] = []
    for i in range(count):
        t = info.duration * (2 * i + 1) / (2 * count)
        argv = [
            ff.path,
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-ss",
            f"{t:.3f}",
            "-i",
            str(video),
            "-frames:v",
            "1",
            "-vf",
            f"scale={w}:{h}",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ]
        p = subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL, check=False)  # type: ignore[arg-type]
        if p.returncode != 0 or len(p.stdout) < w * h * 3:
            continue
        img = Image.frombytes("RGB", (w, h), p.stdout[: w * h * 3])
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=80)
        frames.append(buf.getvalue())
    return frames


def strip(frames: list[bytes], gap: int = 4) -> bytes | None:
    """The frames side by side in one JPEG (for Markdown, where one image per job reads best)."""
    if not frames:
        return None
    images = [Image.open(io.BytesIO(f)).convert("RGB") for f in frames]
    h = max(i.height for i in images)
    w = sum(i.width for i in images) + gap * (len(images) - 1)
    canvas = Image.new("RGB", (w, h), (255, 255, 255))
    x = 0
    for img in images:
        canvas.paste(img, (x, 0))
        x += img.width + gap
    buf = io.BytesIO()
    canvas.save(buf, format="JPEG", quality=80)
    return buf.getvalue()
