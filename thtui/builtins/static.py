"""The `static` baseline: the portrait held still over the audio, as h264/aac mp4.

Run as a subprocess by the same runner as every upstream system (so it is timed and monitored alike):
    python -m thtui.builtins.static --image I --audio A --out OUT.mp4 [--fps 25]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from thtui.core import tools
from thtui.core.wav_header import wav_seconds


def build_argv(
    ffmpeg: str, image: Path, audio: Path, out: Path, fps: int, seconds: float | None = None
) -> list[str]:
    # -shortest alone lets the looped image run past the audio by up to ~0.7 s now and then (the muxer
    # stops on buffered packets), which fails the runner's length check; -t on the image input bounds it.
    limit = ["-t", f"{seconds:.3f}"] if seconds else []
    return [
        ffmpeg,
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        "-y",
        "-loop",
        "1",
        "-framerate",
        str(fps),
        *limit,
        "-i",
        str(image),
        "-i",
        str(audio),
        # Even dimensions for yuv420p; -shortest ends the looped image with the audio.
        "-vf",
        "scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-tune",
        "stillimage",
        "-r",
        str(fps),
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-shortest",
        "-movflags",
        "+faststart",
        str(out),
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="thtui.builtins.static", description=__doc__)
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
    print(f"static: encoding {args.image.name} + {args.audio.name} at {args.fps} fps", flush=True)
    argv = build_argv(ff.path, args.image, args.audio, tmp, args.fps, wav_seconds(args.audio))
    rc = subprocess.call(argv, stdin=subprocess.DEVNULL)
    if rc != 0:
        tmp.unlink(missing_ok=True)
        print(f"static: ffmpeg failed with exit code {rc}", file=sys.stderr)
        return rc
    tmp.replace(args.out)  # never leave a half-written result under the final name
    print(f"static: wrote {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
