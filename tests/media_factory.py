"""Real media for tests, made on the spot (no network, no system ffmpeg needed).

make_portrait(path)                 the asset photo (a face dlib finds), re-encoded by extension
make_speech_wav(path, seconds)      real speech (the asset clip, looped/trimmed), 16-bit PCM WAV
make_tone(path, seconds, rate)      a sine tone WAV (numpy + wave; no ffmpeg)
make_silence(path, seconds)         digital silence WAV
make_drawn_face(path)               a cartoon face drawn with PIL (dlib's HOG detector finds it)
make_blank_image(path)              a flat grey picture (no face)
make_no_face_image(path)            a "landscape": gradient sky, hills, sun (no face)
make_exif_rotated_portrait(path)    pixels stored sideways + EXIF orientation 6 (upright when honoured)
make_truncated_jpeg(path)           the portrait JPEG cut short
make_text_file(path)                plain text, whatever the name says
convert_audio(src, dest)            via the ffmpeg thtui uses (bundled or system): .mp3 .ogg .m4a .flac
make_video(path, seconds, audio=True)  small h264 (+ aac) mp4 from lavfi test sources
assert_unchanged(path, snapshot)    with snapshot = file_state(path) taken before
"""

from __future__ import annotations

import hashlib
import math
import subprocess
import wave
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from thtui.core import tools
from thtui.core.config import repo_root

ASSETS = repo_root() / "assets"
PORTRAIT = ASSETS / "portrait.jpg"
SPEECH = ASSETS / "speech.wav"

_FORMATS = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".gif": "GIF",
    ".tif": "TIFF",
}


def _save(img: Image.Image, path: Path, fmt: str | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = fmt or _FORMATS.get(path.suffix.lower(), "PNG")
    if fmt == "JPEG" and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    img.save(path, format=fmt)
    return path


def make_portrait(
    path: Path | str, *, size: int | None = None, mode: str = "RGB", fmt: str | None = None
) -> Path:
    """A real frontal portrait (public-domain NASA photo from assets/). `mode`: RGB, RGBA, L, P..."""
    img = Image.open(PORTRAIT).convert("RGB")
    if size:
        img = img.resize((size, size), Image.Resampling.LANCZOS)
    if mode == "RGBA":
        img = img.convert("RGBA")
        img.putalpha(Image.new("L", img.size, 255))
    elif mode != "RGB":
        img = img.convert(mode)
    return _save(img, Path(path), fmt)


def make_drawn_face(path: Path | str, size: int = 256) -> Path:
    img = Image.new("RGB", (size, size), (235, 225, 210))
    d = ImageDraw.Draw(img)
    s = size / 256
    d.ellipse(
        [48 * s, 32 * s, 208 * s, 224 * s], fill=(240, 200, 170), outline=(90, 60, 40), width=int(3 * s)
    )
    d.ellipse([88 * s, 96 * s, 112 * s, 116 * s], fill=(40, 40, 40))
    d.ellipse([144 * s, 96 * s, 168 * s, 116 * s], fill=(40, 40, 40))
    d.line([128 * s, 120 * s, 120 * s, 150 * s, 134 * s, 150 * s], fill=(120, 80, 60), width=int(3 * s))
    d.arc([96 * s, 150 * s, 160 * s, 190 * s], 20, 160, fill=(150, 40, 40), width=int(4 * s))
    return _save(img, Path(path))


def make_blank_image(
    path: Path | str, size: tuple[int, int] = (256, 256), color=(128, 128, 128), mode: str = "RGB"
) -> Path:
    return _save(Image.new(mode, size, color if mode != "L" else color[0]), Path(path))


def make_no_face_image(path: Path | str, size: tuple[int, int] = (320, 240)) -> Path:
    w, h = size
    sky = np.linspace(90, 230, h, dtype=np.float64)[:, None, None] * np.array([0.6, 0.8, 1.0])
    img = Image.fromarray(np.broadcast_to(sky, (h, w, 3)).astype(np.uint8))
    d = ImageDraw.Draw(img)
    d.ellipse([w * 0.7, h * 0.1, w * 0.85, h * 0.3], fill=(250, 220, 80))
    d.polygon([(0, h), (w * 0.3, h * 0.5), (w * 0.6, h), (w, h * 0.6), (w, h)], fill=(60, 120, 50))
    return _save(img, Path(path))


def make_exif_rotated_portrait(path: Path | str) -> Path:
    """Stored rotated 90° clockwise with EXIF Orientation=6, the way phones save portrait photos."""
    upright = Image.open(PORTRAIT).convert("RGB")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what the sensor wrote (90° counter-clockwise)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stored.save(path, format="JPEG", exif=exif.tobytes(), quality=92)
    return path


def make_truncated_jpeg(path: Path | str, keep: float = 0.5) -> Path:
    path = Path(path)
    make_portrait(path, fmt="JPEG")
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def make_text_file(path: Path | str, text: str = "These are my notes, not a picture.\n") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = np.clip(samples, -32768, 32767).astype("<i2")
    if channels > 1 and data.ndim == 1:
        data = np.repeat(data[:, None], channels, axis=1)
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(channels)
        wf.setsampwidth(2)
        wf.setframerate(rate)
        wf.writeframes(data.tobytes())
    return path


def make_tone(
    path: Path | str,
    seconds: float = 1.0,
    rate: int = 16000,
    *,
    freq: float = 440.0,
    channels: int = 1,
    amplitude: float = 0.5,
) -> Path:
    t = np.arange(int(round(seconds * rate))) / rate
    return _write_wav(Path(path), amplitude * 32767 * np.sin(2 * math.pi * freq * t), rate, channels)


def make_silence(path: Path | str, seconds: float = 1.0, rate: int = 16000) -> Path:
    return _write_wav(Path(path), np.zeros(int(round(seconds * rate))), rate)


def make_speech_wav(path: Path | str, seconds: float = 2.0, rate: int = 16000, channels: int = 1) -> Path:
    """Real speech of exactly `seconds` (the asset clip looped or cut), resampled to `rate`."""
    with wave.open(str(SPEECH), "rb") as wf:
        src_rate = wf.getframerate()
        speech = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2").astype(np.float64)
    n_src = int(round(seconds * src_rate))
    looped = np.tile(speech, n_src // len(speech) + 1)[:n_src]
    n_out = int(round(seconds * rate))
    if rate != src_rate:
        looped = np.interp(np.linspace(0, n_src - 1, n_out), np.arange(n_src), looped)
    return _write_wav(Path(path), looped, rate, channels)


def _ffmpeg(*args: str) -> None:
    exe = tools.ffmpeg().path
    assert exe, "no ffmpeg (pip install imageio-ffmpeg)"
    subprocess.run([exe, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args], check=True)


_AUDIO_CODECS = {
    ".mp3": "libmp3lame",
    ".ogg": "libvorbis",
    ".m4a": "aac",
    ".flac": "flac",
    ".wav": "pcm_s16le",
}


def convert_audio(src: Path | str, dest: Path | str) -> Path:
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    _ffmpeg(
        "-i",
        f"file:{Path(src).absolute()}",
        "-c:a",
        _AUDIO_CODECS[dest.suffix.lower()],
        f"file:{dest.absolute()}",
    )
    return dest


def make_video(
    path: Path | str, seconds: float = 1.0, *, audio: bool = True, size: int = 128, fps: int = 25
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    args = ["-f", "lavfi", "-i", f"testsrc=size={size}x{size}:rate={fps}:duration={seconds}"]
    if audio:
        args += [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=300:sample_rate=16000:duration={seconds}",
            "-c:a",
            "aac",
        ]
    args += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "ultrafast", f"file:{path.absolute()}"]
    _ffmpeg(*args)
    return path


def file_state(path: Path | str) -> tuple[str, int, int]:
    """(sha256, size, mtime_ns): take it before, compare after, to prove a file was not modified."""
    p = Path(path)
    st = p.stat()
    return hashlib.sha256(p.read_bytes()).hexdigest(), st.st_size, st.st_mtime_ns


def assert_unchanged(path: Path | str, before: tuple[str, int, int]) -> None:
    assert file_state(path) == before, f"{path} was modified"
