#!/usr/bin/env python3
"""thtui's CPBD (thtui/core/scores/cpbd.py) against the PyPI package `cpbd` 1.0.7 that papers run.

The reference needs scikit-image and SciPy, which thtui does not depend on: install it in a scratch venv
(it imports `scipy.ndimage.imread`, removed from SciPy; this script shims it), then run this script with
thtui's venv and point it at that python:

    uv venv /tmp/cpbdref --python 3.12 && VIRTUAL_ENV=/tmp/cpbdref uv pip install cpbd pillow
    .venv/bin/python benchmarks/cpbd_check.py --ref-python /tmp/cpbdref/bin/python [--video V ...]

Images (8-bit grey, saved as PNG and read by both sides): the synthetic set of tests/unit/cpbd_synthetic.py
(whose reference numbers tests/unit/test_cpbd.py freezes), assets/portrait.jpg whole and its face region
(the landmark box grown to 64-px tiles, what the scorer measures), both Gaussian-blurred at several sigmas,
and the first, middle and last frame (whole and face region) of each --video; without --video, a `static`
and a `jawflap` video made here from the portrait and assets/speech.wav by the builtins themselves.

Prints one line per image: size, thtui, reference, difference and each side's time; then the largest
difference (target <= 0.02) and whether CPBD falls as the blur grows (portrait and face series). Where
there is no edge to measure thtui says None and the reference 0.0 (counted as agreeing: documented).
Exit code 0 when both hold.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "unit"))

SIGMAS = (0.5, 1.0, 1.5, 2.0, 3.0)
# Run by the reference venv's python: every PNG of a folder -> {name: [cpbd, seconds]} as JSON.
REFERENCE = """
import json, sys, time
from pathlib import Path
import numpy as np
import scipy.ndimage
scipy.ndimage.imread = None  # cpbd 1.0.7 imports it; removed from SciPy (its CLI only, unused here)
from PIL import Image
from cpbd import compute
out = {}
for p in sorted(Path(sys.argv[1]).glob("*.png")):
    img = np.asarray(Image.open(p).convert("L"))
    t = time.perf_counter()
    value = float(compute(img))
    out[p.stem] = [value, time.perf_counter() - t]
print(json.dumps(out))
"""


def grey(rgb):
    import cv2

    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def blurred(img, sigma: float):
    import cv2
    import numpy as np

    return np.clip(np.round(cv2.GaussianBlur(img.astype(np.float64), (0, 0), sigma)), 0, 255).astype(np.uint8)


def face_region(rgb):
    from thtui.builtins.jawflap import landmarks
    from thtui.core.scores.appearance import face_tiles

    return face_tiles(grey(rgb), landmarks(rgb))


def make_videos(d: Path) -> list[Path]:
    """A static and a jawflap video of the portrait, made by the builtins (as `thtui run` would)."""
    from thtui.builtins.jawflap import make_video
    from thtui.builtins.static import build_argv
    from thtui.core import tools
    from thtui.core.wav_header import wav_seconds

    portrait, speech = REPO / "assets" / "portrait.jpg", REPO / "assets" / "speech.wav"
    ffmpeg = str(tools.ffmpeg().path)
    static = d / "static.mp4"
    subprocess.run(build_argv(ffmpeg, portrait, speech, static, 25, wav_seconds(speech)), check=True)
    jawflap = d / "jawflap.mp4"
    code, _ = make_video(portrait, speech, jawflap, 25, ffmpeg)
    if code != 0:
        raise SystemExit(f"jawflap failed (ffmpeg exit {code})")
    return [static, jawflap]


def video_images(video: Path) -> dict[str, object]:
    from thtui.builtins.jawflap import landmarks
    from thtui.core.faces import best_face
    from thtui.core.scores.appearance import face_tiles
    from thtui.core.scores.decode import iter_frames, open_video

    frames = list(iter_frames(open_video(video)))
    out: dict[str, object] = {}
    for label, i in (("first", 0), ("middle", len(frames) // 2), ("last", len(frames) - 1)):
        rgb = frames[i]
        out[f"{video.stem}_{label}_frame"] = grey(rgb)
        if best_face(rgb) is not None:
            region = face_tiles(grey(rgb), landmarks(rgb))
            if region is not None:
                out[f"{video.stem}_{label}_face"] = region
    return out


def build_images(videos: list[Path]) -> dict[str, object]:
    import cpbd_synthetic

    from thtui.builtins.jawflap import load_rgb

    images: dict[str, object] = dict(cpbd_synthetic.images())
    rgb = load_rgb(REPO / "assets" / "portrait.jpg")
    whole, face = grey(rgb), face_region(rgb)
    images["portrait"] = whole
    images |= {f"portrait_blur{s:g}": blurred(whole, s) for s in SIGMAS}
    images["portrait_face"] = face
    images |= {f"portrait_face_blur{s:g}": blurred(face, s) for s in SIGMAS}
    for v in videos:
        images |= video_images(v)
    return images


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ref-python", required=True, help="python of a venv with the `cpbd` package")
    ap.add_argument("--video", type=Path, action="append", default=[], help="score frames of this video")
    ap.add_argument("--tolerance", type=float, default=0.02)
    args = ap.parse_args()

    import cv2

    from thtui.core.scores.cpbd import cpbd

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        videos = args.video or make_videos(d)
        images = build_images(videos)
        pngs = d / "png"
        pngs.mkdir()
        for name, img in images.items():
            cv2.imwrite(str(pngs / f"{name}.png"), img)
        ref = json.loads(
            subprocess.run(
                [args.ref_python, "-c", REFERENCE, str(pngs)], check=True, capture_output=True, text=True
            ).stdout
        )
        ours: dict[str, tuple[float | None, float]] = {}
        for name in images:
            img = cv2.imread(
                str(pngs / f"{name}.png"), cv2.IMREAD_GRAYSCALE
            )  # the same pixels as the reference
            t = time.perf_counter()
            ours[name] = (cpbd(img), time.perf_counter() - t)

    print(f"{'image':34} {'size':>9} {'thtui':>7} {'cpbd pkg':>8} {'diff':>7} {'thtui s':>8} {'pkg s':>7}")
    worst = 0.0
    for name, img in images.items():
        mine, t_mine = ours[name]
        theirs, t_ref = ref[name]
        diff = (mine if mine is not None else 0.0) - theirs
        worst = max(worst, abs(diff))
        shown = "None" if mine is None else f"{mine:.4f}"
        size = f"{img.shape[1]}x{img.shape[0]}"
        print(f"{name:34} {size:>9} {shown:>7} {theirs:8.4f} {diff:+7.4f} {t_mine:8.4f} {t_ref:7.3f}")
    print(f"largest |thtui - cpbd pkg|: {worst:.4f} (target <= {args.tolerance})")
    monotone = True
    for series in ("portrait", "portrait_face"):
        values = [ours[series][0] or 0.0] + [ours[f"{series}_blur{s:g}"][0] or 0.0 for s in SIGMAS]
        falls = all(b <= a for a, b in zip(values, values[1:], strict=False))
        monotone &= falls
        steps = " > ".join(f"{v:.3f}" for v in values)
        print(
            f"{series}: sigma 0, {', '.join(f'{s:g}' for s in SIGMAS)}: {steps} ({'falls' if falls else 'NOT monotone'})"
        )
    return 0 if worst <= args.tolerance and monotone else 1


if __name__ == "__main__":
    sys.exit(main())
