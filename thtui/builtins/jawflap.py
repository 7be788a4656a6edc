"""The `jawflap` baseline: the portrait's jaw opened in step with the audio's loudness, as h264/aac mp4.

The trivial lip-sync reference: a system that cannot beat a loudness-driven jaw-flap on lip-sync is weak,
and the scorer's tests use it as a positive control. The face and its 68 landmarks are found once (dlib,
models from the face-recognition-models package: the 68-point model was trained on iBUG 300-W, whose licence
excludes commercial use). Each 25 fps frame then moves the lower lip, chin and jaw down by an amount taken
from the band-limited loudness of the audio in that frame's 40 ms slot (the same envelope the lip-sync proxy
uses), with a smooth displacement field (cv2.remap), and fills the opened gap between the lips dark.

Run as a subprocess by the same runner as every upstream system (so it is timed and monitored alike):
    python -m thtui.builtins.jawflap --image I --audio A --out OUT.mp4 [--fps 25]
"""

from __future__ import annotations

import argparse
import contextlib
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thtui.core import tools
from thtui.core.wav_header import wav_seconds

if TYPE_CHECKING:
    import numpy as np

# A baseline needs no more pixels than this; a 24 MP photo would make every frame's warp and encode slow.
MAX_SIDE = 1024
OPEN_MAX = 0.30  # the widest opening: lower-lip drop as a fraction of the inter-ocular distance
MOUTH_RGB = (46, 18, 22)  # the inside of an open mouth, dark red-brown
# The loudness envelope is mapped to 0..1 between these percentiles of the clip's own frames, so a quiet
# and a loud recording flap alike; below the low one the mouth stays shut.
LOW_PCT, HIGH_PCT = 20.0, 95.0
SILENCE_DB_RANGE = 0.5  # log10 units: a clip whose loudness varies less than this is treated as silence


class NoFace(RuntimeError):
    pass


@dataclass(frozen=True)
class Warp:
    """What every frame needs, computed once from the portrait's landmarks."""

    roi: tuple[int, int, int, int]  # x0, y0, x1, y1: the only region a frame changes
    grid_x: np.ndarray  # float32 (h, w) source x for the ROI, unchanged by the warp
    grid_y: np.ndarray  # float32 (h, w) source y for the ROI
    weight: np.ndarray  # float32 (h, w) 0..1: how much of the drop each ROI pixel takes
    lower: np.ndarray  # (n, 2) inner lower lip, corner to corner, resampled to a smooth curve
    max_drop: float  # px at opening 1.0


def load_rgb(path: Path, max_side: int = MAX_SIDE) -> np.ndarray:
    """The portrait as RGB uint8, scaled down to `max_side`, even width and height (yuv420p)."""
    import numpy as np
    from PIL import Image, ImageOps

    with Image.open(path) as im:
        img = ImageOps.exif_transpose(im).convert("RGB")
    scale = min(1.0, max_side / max(img.size))
    w, h = (max(2, int(img.width * scale) // 2 * 2), max(2, int(img.height * scale) // 2 * 2))
    if (w, h) != img.size:
        img = img.resize((w, h), Image.Resampling.LANCZOS)
    return np.ascontiguousarray(np.asarray(img))


def landmarks(rgb: np.ndarray) -> np.ndarray:
    """The largest face's 68 landmarks, (68, 2) float32; NoFace when there is none."""
    import dlib
    import numpy as np

    from thtui.core.faces import best_face
    from thtui.core.scores.models import LOCK, shape_predictor

    face = best_face(rgb)
    if face is None:
        raise NoFace("no face found in the portrait")
    b = face.box
    rect = dlib.rectangle(int(b.left), int(b.top), int(b.left + b.width), int(b.top + b.height))
    with LOCK:
        shape = shape_predictor()(rgb, rect)
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


def _smoothstep(t: np.ndarray) -> np.ndarray:
    import numpy as np

    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def build_warp(points: np.ndarray, shape: tuple[int, int]) -> Warp:
    """A displacement field that drops the lower lip, chin and jaw, fading out over the neck and cheeks.

    Nothing above the inner lower lip moves (a smile's teeth stay). Below it, under the middle of the mouth,
    the lip moves down whole; towards the corners the drop starts at 0 and grows further down, so the
    corners stay put and the gap between the lip's old and new place (filled dark) is a lens that closes
    there like a real mouth's. Below the chin the drop fades out over the neck; sideways it fades towards
    the jaw line, so the face outline stays smooth.
    """
    import numpy as np

    h, w = shape
    iod = float(np.linalg.norm(points[42:48].mean(0) - points[36:42].mean(0)))
    max_drop = OPEN_MAX * iod
    jaw = points[0:17]
    # The inner lower lip, corner to corner (60, 67, 66, 65, 64), sampled densely so the opened gap is a
    # smooth lens rather than a polygon of five points.
    lip = points[[60, 67, 66, 65, 64]]
    lip = lip[np.argsort(lip[:, 0])]
    curve_x = np.linspace(lip[0, 0], lip[-1, 0], 16)
    lower = np.stack([curve_x, np.interp(curve_x, lip[:, 0], lip[:, 1])], axis=1).astype(np.float32)
    chin_y = float(jaw[8, 1])
    cx, half_mouth = float(lip[:, 0].mean()), max(2.0, float(lip[-1, 0] - lip[0, 0]) / 2)
    # Where the drop reaches full below the corners: its slope stays under 1 (OPEN_MAX x 1.5 / 0.5 < 1),
    # so the backward map never folds.
    reach = 0.5 * iod
    neck = 0.45 * iod  # below the chin the drop fades out over this much neck

    x0 = int(max(0, math.floor(jaw[:, 0].min() - 0.1 * iod)))
    x1 = int(min(w, math.ceil(jaw[:, 0].max() + 0.1 * iod)))
    y0 = int(max(0, math.floor(lower[:, 1].min() - 2)))
    y1 = int(min(h, math.ceil(chin_y + neck + 2)))
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)

    line = np.interp(xs[0], lower[:, 0], lower[:, 1]).astype(np.float32)[None, :]
    # 1 under the middle of the mouth, 0 at and beyond the corners (an ellipse's profile).
    middle = np.sqrt(np.clip(1.0 - ((xs[0] - cx) / half_mouth) ** 2, 0.0, 1.0))[None, :]
    below_lip = (ys >= line) * (middle + (1.0 - middle) * _smoothstep((ys - line) / reach))
    above_neck = 1.0 - _smoothstep((ys - chin_y) / neck)
    # Sideways: full across the mouth, fading to 0 towards the jaw line.
    fade = max(1.0, 0.5 * float(jaw[13, 0] - jaw[3, 0]) - half_mouth + 0.3 * iod)
    across = 1.0 - _smoothstep((np.abs(xs - cx) - half_mouth) / fade)
    weight = (below_lip * above_neck * across).astype(np.float32)
    return Warp((x0, y0, x1, y1), xs, ys, weight, lower, max_drop)


def _dropped(warp: Warp, drop: float) -> np.ndarray:
    """Where the inner lower lip lands: each point moves by the weight just below it (the lip moves with
    the pixels under it; the weight is 0 above the lip line by construction)."""
    import numpy as np

    x0, y0, x1, y1 = warp.roi
    xi = np.clip(np.rint(warp.lower[:, 0]).astype(int) - x0, 0, x1 - x0 - 1)
    yi = np.clip(np.ceil(warp.lower[:, 1]).astype(int) - y0, 0, y1 - y0 - 1)
    out = warp.lower.copy()
    out[:, 1] += drop * warp.weight[yi, xi]
    return out


def render(base: np.ndarray, warp: Warp, opening: float) -> np.ndarray:
    """One frame: the portrait with the jaw dropped by `opening` (0..1) of the widest opening."""
    import cv2
    import numpy as np

    if opening <= 1e-3:
        return base
    drop = opening * warp.max_drop
    x0, y0, x1, y1 = warp.roi
    frame = base.copy()
    # Backward map: output (x, y) shows the source pixel (x, y - drop * weight).
    map_y = warp.grid_y - drop * warp.weight
    frame[y0:y1, x0:x1] = cv2.remap(
        base, warp.grid_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    # The gap: the lower lip where it was, corner to corner, then where it landed, back.
    moved = _dropped(warp, drop)
    poly = np.vstack([warp.lower, moved[::-1]])
    cv2.fillPoly(frame, [np.rint(poly * 4).astype(np.int32)], MOUTH_RGB, cv2.LINE_AA, shift=2)
    return frame


def openings(audio: Path, n_frames: int, fps: int) -> np.ndarray:
    """Mouth opening 0..1 per frame from the band-limited loudness of that frame's slot of the audio."""
    import numpy as np

    from thtui.core.scores.decode import load_audio
    from thtui.core.scores.lipsync import loudness_envelope

    rate = 16000
    env = loudness_envelope(load_audio(audio, rate), rate, n_frames, fps)
    ok = np.isfinite(env)
    out = np.zeros(n_frames, dtype=np.float32)
    if ok.sum() < 2:
        return out
    low, high = np.percentile(env[ok], [LOW_PCT, HIGH_PCT])
    if high - low < SILENCE_DB_RANGE:
        return out  # silence or a steady tone: nothing to flap to
    out[ok] = np.clip((env[ok] - low) / (high - low), 0.0, 1.0)
    return out


def encode_argv(
    ffmpeg: str, size: tuple[int, int], fps: int, audio: Path, out: Path, seconds: float
) -> list[str]:
    w, h = size
    return [
        ffmpeg,
        *("-hide_banner", "-loglevel", "error", "-nostdin", "-y"),
        *("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-framerate", str(fps), "-i", "pipe:"),
        *("-i", str(audio)),
        # -t bounds the result by the audio's length (as static does): frames are rounded up to whole ones.
        *("-t", f"{seconds:.3f}", "-map", "0:v:0", "-map", "1:a:0"),
        *("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-b:a", "128k", "-shortest", "-movflags", "+faststart", str(out)),
    ]


def make_video(image: Path, audio: Path, out: Path, fps: int, ffmpeg: str) -> tuple[int, Any]:
    """Render and encode; returns (ffmpeg exit code, the openings used)."""
    from thtui.core.scores.decode import load_audio

    seconds = wav_seconds(audio)
    if seconds is None:  # not a WAV header we can read: decode to count
        seconds = len(load_audio(audio, 16000)) / 16000.0
    rgb = load_rgb(image)
    warp = build_warp(landmarks(rgb), rgb.shape[:2])
    n_frames = max(1, math.ceil(seconds * fps))
    amount = openings(audio, n_frames, fps)
    h, w = rgb.shape[:2]
    proc = subprocess.Popen(
        encode_argv(ffmpeg, (w, h), fps, audio, out, seconds),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    assert proc.stdin is not None
    try:
        for a in amount:
            proc.stdin.write(render(rgb, warp, float(a)).tobytes())
    except BrokenPipeError:
        pass  # ffmpeg died; its exit code and stderr say why
    finally:
        with contextlib.suppress(BrokenPipeError):
            proc.stdin.close()
    return proc.wait(), amount


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="thtui.builtins.jawflap", description=__doc__)
    p.add_argument("--image", required=True, type=Path)
    p.add_argument("--audio", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--fps", type=int, default=25)
    args = p.parse_args(argv)
    ff = tools.ffmpeg()
    if not ff.found:
        print("No such file or directory: 'ffmpeg' (install imageio-ffmpeg or ffmpeg)", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.stem + ".partial.mp4")
    print(f"jawflap: animating {args.image.name} to {args.audio.name} at {args.fps} fps", flush=True)
    try:
        rc, amount = make_video(args.image, args.audio, tmp, args.fps, ff.path)
    except NoFace:
        print(f"jawflap: face not detected in {args.image}", file=sys.stderr)
        return 3
    except Exception as exc:  # a bad file or a missing model: one line, no traceback in the job log
        tmp.unlink(missing_ok=True)
        print(f"jawflap: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if rc != 0:
        tmp.unlink(missing_ok=True)
        print(f"jawflap: ffmpeg failed with exit code {rc}", file=sys.stderr)
        return rc
    tmp.replace(args.out)  # never leave a half-written result under the final name
    print(f"jawflap: wrote {args.out} ({len(amount)} frames)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
