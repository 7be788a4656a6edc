#!/usr/bin/env python3
"""How long the offline scores take: target <= 10 s for a 10 s 512x512 video on one core.

    python benchmarks/score_speed.py [--seconds 10] [--size 512] [--repeat 3]

Builds a jaw-warp control (assets/portrait.jpg moved in step with assets/speech.wav, the test controls'
recipe) and scores it with thtui.core.scores.score_video pinned to one CPU core (sched_setaffinity, OpenCV
single-threaded). Prints the median wall time of --repeat runs, the ratio to the video's length (the target
is <= 1.0) and a split: decode alone, and the dlib weights' one-time load (not in the median: they are
loaded once per process). Not a test: numbers depend on the machine and its load.

With a reference (`thtui run --reference`): two videos (the control and one driven by other speech) scored
against one reference video of the same size, uncached (the reference's face-track cache emptied before
each video: the reference is tracked for each) and cached (emptied once: tracked for the first only), in
alternating order, --repeat times each; prints both medians and their ratio (cached / uncached), and the
reference's face pass alone. `--no-reference` skips it.
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
    ap.add_argument("--no-reference", action="store_true", help="skip the cached/uncached reference pair")
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

        pair = None
        if not args.no_reference:
            other = c.write_video(
                d / "other.mp4",
                [c.jaw_frame(rgb, pts, o) for o in c.openings(c.speech(args.seconds, start_s=2.3), n)],
                wav,
            )
            reference = c.write_video(
                d / "reference.mp4", [c.jaw_frame(rgb, pts, 0.8 * o) for o in c.openings(speech, n)], wav
            )
            pair = reference_pair((video, other), portrait, reference, args.repeat)

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
    if pair is not None:
        uncached, cached, face_pass = pair
        print(
            f"2 videos against one reference: uncached median {uncached:.2f} s, cached {cached:.2f} s; "
            f"ratio cached / uncached {cached / uncached:.2f}; the reference's face pass alone {face_pass:.2f} s"
        )
    return 0


def reference_pair(
    videos: tuple[Path, Path], portrait: Path, reference: Path, repeat: int
) -> tuple[float, ...]:
    """Median wall time of scoring both videos against `reference`: uncached, cached; and one face pass."""
    from thtui.core.scores import score_video
    from thtui.core.scores.decode import open_video
    from thtui.core.scores.reference import TRACKS, track_reference

    def both(cached: bool) -> float:
        TRACKS.clear()
        t = time.perf_counter()
        for v in videos:
            if not cached:
                TRACKS.clear()
            score_video(v, portrait, reference=reference)
        wall = time.perf_counter() - t
        assert not cached or (TRACKS.misses, TRACKS.hits) == (1, 1), "the cached pair tracked it twice"
        return wall

    uncached, cached = [], []
    for i in range(repeat):  # alternate which goes first: the machine's load drifts
        for use_cache in (i % 2 == 1, i % 2 == 0):
            (cached if use_cache else uncached).append(both(use_cache))
    t = time.perf_counter()
    track_reference(open_video(reference))
    face_pass = time.perf_counter() - t
    TRACKS.clear()
    return statistics.median(uncached), statistics.median(cached), face_pass


if __name__ == "__main__":
    sys.exit(main())
