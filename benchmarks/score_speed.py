#!/usr/bin/env python3
"""How long the offline scores take: target <= 10 s for a 10 s 512x512 video on one core.

    python benchmarks/score_speed.py [--seconds 10] [--size 512] [--repeat 3]

Builds a jaw-warp control (assets/portrait.jpg moved in step with assets/speech.wav, the test controls'
recipe) and scores it with thtui.core.scores.score_video pinned to one CPU core (sched_setaffinity, OpenCV
single-threaded). Prints the median wall time of --repeat runs, the ratio to the video's length (the target
is <= 1.0) and a split: decode alone, and the dlib weights' one-time load (not in the median: they are
loaded once per process). Not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "integration" / "scores"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import cv2

    cv2.setNumThreads(1)
    import score_controls as c

    from thtui.core.scores import models, score_video
    from thtui.core.scores.decode import iter_frames, open_video

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t = time.perf_counter()
        models.shape_predictor()
        models.face_descriptor_model()
        load_s = time.perf_counter() - t

        rgb = c.portrait(args.size)
        pts = c.landmarks(rgb)
        speech = c.speech(args.seconds)
        wav = c.write_wav(d / "speech.wav", speech)
        n = int(args.seconds * c.FPS)
        video = c.write_video(
            d / "control.mp4", [c.jaw_frame(rgb, pts, o) for o in c.openings(speech, n)], wav
        )
        portrait = d / "portrait.png"
        cv2.imwrite(str(portrait), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))

        t = time.perf_counter()
        frames = sum(1 for _ in iter_frames(open_video(video)))
        decode_s = time.perf_counter() - t

        walls = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            scores = score_video(video, portrait)
            walls.append(time.perf_counter() - t)

    wall = statistics.median(walls)
    print(f"video: {args.seconds:g} s, {args.size}x{args.size}, {frames} frames at 25 fps; one core")
    print(f"weights load (once per process): {load_s:.2f} s")
    print(f"decode alone: {decode_s:.2f} s")
    print(f"score_video: median {wall:.2f} s of {args.repeat} (min {min(walls):.2f}, max {max(walls):.2f})")
    print(f"ratio score time / video length: {wall / args.seconds:.2f} (target <= 1.00)")
    print(
        f"control check: offset {scores.lipsync_offset_frames} frames, r {scores.lipsync_corr:.2f}, "
        f"identity {scores.identity_distance:.2f}; sampling {scores.sampling}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
