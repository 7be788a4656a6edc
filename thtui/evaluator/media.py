"""Decoding through ffmpeg (argv lists, never a shell): frames resampled with the filter `-vf fps=25`
(the output option `-r 25` shifted a 30 fps copy by ~1.5 frames), RGB24 streamed frame by frame; audio as
16 kHz mono signed 16-bit, as SyncNet's MFCCs expect.

Without ffmpeg (`--ffmpeg none`, a bare GPU box): OpenCV decodes the frames, which is refused unless the
video already runs at 25 fps, and the audio must be a 16 kHz mono 16-bit WAV (read with `wave`)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from typing import Any

FPS = 25
RATE = 16000


class MediaError(RuntimeError):
    pass


def frame_size(ffmpeg: str, path: str) -> tuple[int, int]:
    if ffmpeg == "none":
        return _cv2_size(path)
    out = subprocess.run([ffmpeg, "-hide_banner", "-i", path], capture_output=True, text=True, timeout=60)
    m = re.search(r"Stream #\S+.*?Video: .*?(?<![0-9a-fA-Fx])(\d{2,5})x(\d{2,5})\b", out.stderr)
    if not m:
        raise MediaError(f"{path}: no video stream")
    return int(m.group(1)), int(m.group(2))


def frames(ffmpeg: str, path: str, size: tuple[int, int] | None = None) -> Iterator[Any]:
    """RGB uint8 frames at 25 fps (scaled to `size` = (w, h) when given)."""
    import numpy as np

    if ffmpeg == "none":
        yield from _cv2_frames(path, size)
        return
    w, h = size or frame_size(ffmpeg, path)
    vf = f"fps={FPS}" + (f",scale={w}:{h}" if size else "")
    argv = [
        ffmpeg,
        "-v",
        "error",
        "-nostdin",
        "-i",
        path,
        "-vf",
        vf,
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-",
    ]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    n = w * h * 3
    try:
        assert proc.stdout is not None
        while True:
            buf = proc.stdout.read(n)
            if len(buf) < n:
                break
            yield np.frombuffer(buf, np.uint8).reshape(h, w, 3)
    finally:
        proc.stdout.close() if proc.stdout else None
        proc.kill()
        proc.wait()


def audio(ffmpeg: str, path: str) -> Any:
    """int16 samples, mono 16 kHz; empty when the file has no audio stream."""
    import numpy as np

    if ffmpeg == "none":
        return _wav(path)
    argv = [ffmpeg, "-v", "error", "-nostdin", "-i", path, "-vn", "-ac", "1", "-ar", str(RATE),
            "-f", "s16le", "-acodec", "pcm_s16le", "-"]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, timeout=600)
    if out.returncode != 0 and not out.stdout:
        return np.zeros(0, np.int16)
    return np.frombuffer(out.stdout, np.int16)


def _cv2_size(path: str) -> tuple[int, int]:
    import cv2

    cap = cv2.VideoCapture(path)
    try:
        if not cap.isOpened():
            raise MediaError(f"{path}: OpenCV cannot open it as a video")
        fps = cap.get(cv2.CAP_PROP_FPS)
        if abs(fps - FPS) > 0.01:
            raise MediaError(
                f"{path}: {fps:g} fps; without ffmpeg only 25 fps videos are read (no resampling)"
            )
        return int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    finally:
        cap.release()


def _cv2_frames(path: str, size: tuple[int, int] | None) -> Iterator[Any]:
    import cv2

    _cv2_size(path)
    cap = cv2.VideoCapture(path)
    try:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            if size and (bgr.shape[1], bgr.shape[0]) != size:
                bgr = cv2.resize(bgr, size)
            yield bgr[:, :, ::-1].copy()
    finally:
        cap.release()


def _wav(path: str) -> Any:
    import wave

    import numpy as np

    try:
        with wave.open(path, "rb") as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (RATE, 1, 2):
                raise MediaError(f"{path}: without ffmpeg the audio must be a 16 kHz mono 16-bit WAV")
            return np.frombuffer(w.readframes(w.getnframes()), np.int16)
    except (wave.Error, EOFError) as exc:
        raise MediaError(f"{path}: without ffmpeg the audio must be a WAV file ({exc})") from None


def jpeg_roundtrip(ffmpeg: str, video: str, folder: str) -> Any:
    """The frames as syncnet_python's evaluation reads them: extracted by ffmpeg to JPEG files at its
    default quality (`-f image2 %06d.jpg`) and read back with OpenCV (BGR). The lossy step moves the
    distances by about 1 %, so the published numbers are matched only through it."""
    import glob
    import os

    import cv2
    import numpy as np

    argv = [ffmpeg, "-v", "error", "-nostdin", "-y", "-i", video, "-vf", f"fps={FPS}", "-threads", "1",
            "-f", "image2", os.path.join(folder, "%06d.jpg")]  # fmt: skip
    out = subprocess.run(argv, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise MediaError(f"{video}: ffmpeg could not extract frames: {out.stderr.strip()[-200:]}")
    files = sorted(glob.glob(os.path.join(folder, "*.jpg")))
    return np.stack([cv2.imread(f) for f in files]) if files else np.zeros((0, 224, 224, 3), np.uint8)


def xvid(crops: Any, path: str) -> bool:
    """Write BGR crops to an XVID AVI at 25 fps, as the pipeline stores its face tracks; False when this
    OpenCV build cannot encode it."""
    import cv2

    h, w = crops.shape[1:3]
    out = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"XVID"), FPS, (w, h))
    if not out.isOpened():
        return False
    for c in crops:
        out.write(c)
    out.release()
    return True
