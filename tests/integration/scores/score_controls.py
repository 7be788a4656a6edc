"""Control videos for the offline scores, made from assets/portrait.jpg and assets/speech.wav.

A jaw-warp control: the portrait's jaw (everything below the mouth line, fading out at the sides) moves down
in step with the speech's loudness, and the gap between the lips is painted dark, so a landmark model sees
an open mouth exactly when the audio is loud. Variants: audio shifted by ffmpeg, a still head, a mouth
driven by other audio, an injected head roll, painted blinks.
"""

from __future__ import annotations

import math
import subprocess
import wave
from collections.abc import Iterable
from pathlib import Path

import cv2
import dlib
import numpy as np
from media_factory import PORTRAIT, SPEECH

from thtui.core import tools
from thtui.core.faces import best_face
from thtui.core.scores.models import shape_predictor

FPS = 25
SIZE = 288
SECONDS = 3.2  # the controls' length
N = int(SECONDS * FPS)  # their frames


def portrait(size: int = SIZE) -> np.ndarray:
    rgb = cv2.cvtColor(cv2.imread(str(PORTRAIT)), cv2.COLOR_BGR2RGB)
    return cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA)


def landmarks(rgb: np.ndarray) -> np.ndarray:
    face = best_face(rgb)
    assert face is not None
    b = face.box
    shape = shape_predictor()(rgb, dlib.rectangle(b.left, b.top, b.left + b.width, b.top + b.height))
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


def speech(seconds: float, start_s: float = 0.0) -> np.ndarray:
    with wave.open(str(SPEECH), "rb") as wf:
        data = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2").astype(np.float64)
    a = int(start_s * 16000)
    n = int(seconds * 16000)
    return np.tile(data, 3)[a : a + n]


def openings(samples: np.ndarray, n_frames: int) -> np.ndarray:
    """0..1 per frame: RMS loudness of the frame's 40 ms slot, normalised between the 10th and 95th pct."""
    slot = 16000 // FPS
    rms = np.array(
        [np.sqrt(np.mean(samples[i * slot : (i + 1) * slot] ** 2) + 1e-9) for i in range(n_frames)]
    )
    db = 20 * np.log10(rms)
    lo, hi = np.percentile(db, 10), np.percentile(db, 95)
    return np.clip((db - lo) / max(hi - lo, 1e-6), 0, 1)


def jaw_frame(rgb: np.ndarray, pts: np.ndarray, opening: float, max_px: float = 9.0) -> np.ndarray:
    """Move the jaw down by opening x max_px and paint the mouth's inside dark."""
    h, w = rgb.shape[:2]
    upper = float(pts[62, 1])  # inner upper lip: stays
    lower = float(pts[66, 1])
    chin = float(pts[8, 1])
    cx = float(pts[48:68, 0].mean())
    half = float(pts[54, 0] - pts[48, 0]) * 1.6
    shift = float(opening) * max_px
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    across = np.clip(1.5 - np.abs(xs - cx) / half, 0, 1)  # full across the mouth, fading at the cheeks
    down = np.clip((ys - upper) / max(lower - upper + 2, 1), 0, 1)  # 0 at the upper lip, 1 from the lower
    below = np.clip(1 - (ys - chin - 10) / 25, 0, 1)  # the neck stays put
    disp = (shift * across * down * below).astype(np.float32)
    out = cv2.remap(rgb, xs, ys - disp, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    if shift > 0.5:
        inner = pts[60:68].copy()
        inner[5:8, 1] += shift  # lower inner lip points 65, 66, 67 moved with the jaw
        inner[1:4, 1] -= 0.5
        cv2.fillPoly(out, [np.round(inner).astype(np.int32)], (60, 20, 25))
    return out


def roll(rgb: np.ndarray, deg: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
    return cv2.warpAffine(rgb, m, (w, h), borderMode=cv2.BORDER_REFLECT)


def close_eyes(rgb: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Paint both eyes shut: skin colour over the eye, a dark lash line across its middle."""
    out = rgb.copy()
    for eye in (pts[36:42], pts[42:48]):
        cx, cy = eye.mean(axis=0)
        w = float(eye[:, 0].max() - eye[:, 0].min())
        skin = rgb[int(cy + w * 0.6), int(cx)].tolist()
        cv2.ellipse(out, (int(cx), int(cy)), (int(w * 0.65), int(w * 0.35)), 0, 0, 360, skin, -1)
        cv2.line(out, (int(cx - w / 2), int(cy + 1)), (int(cx + w / 2), int(cy + 1)), (50, 35, 30), 1)
    return out


def write_wav(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(16000)
        wf.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
    return path


def write_video(path: Path, frames: Iterable[np.ndarray], audio: Path | None, *, fps: int = FPS) -> Path:
    frames = list(frames)
    h, w = frames[0].shape[:2]
    argv = [tools.ffmpeg().path, "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    argv += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(fps), "-i", "pipe:"]
    if audio is not None:
        argv += ["-i", str(audio), "-c:a", "aac", "-shortest"]
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p", str(path)]
    subprocess.run(argv, input=b"".join(f.tobytes() for f in frames), check=True)
    return path


def shift_audio(src: Path, dest: Path, seconds: float) -> Path:
    """Same video, audio delayed (seconds > 0) or advanced (< 0) by shifting its samples (ffmpeg)."""
    ff = [tools.ffmpeg().path, "-hide_banner", "-loglevel", "error", "-nostdin", "-y"]
    if seconds >= 0:
        ms = int(round(seconds * 1000))
        af = ["-af", f"adelay={ms}|{ms}"]
    else:
        af = ["-af", f"atrim=start={-seconds},asetpts=PTS-STARTPTS"]
    argv = [*ff, "-i", str(src), "-map", "0:v", "-map", "0:a", "-c:v", "copy", *af, "-c:a", "aac", str(dest)]
    subprocess.run(argv, check=True)
    return dest


def sinus_deg(n: int, amplitude: float, period_frames: int = 40) -> np.ndarray:
    return amplitude * np.sin(2 * math.pi * np.arange(n) / period_frames)
