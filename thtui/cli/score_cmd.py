"""`thtui score --video V --image I [--audio A] [--reference GT] [--json]`: offline scores of any video.

Exit codes: 0 scored (a partial result too: what is missing is listed, with why); 2 an input is unusable
(not found, not a video / picture); 1 the scorer itself could not run (ffmpeg or model weights missing).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from thtui.cli.common import CliError, console, print_json, subcommand


def register(sub: argparse._SubParsersAction) -> None:
    p = subcommand(
        sub, "score", "offline scores of a video: face, lip-sync proxy, identity, motion, sharpness"
    )
    # The RUN form (thtui/cli/score_run.py): rescore every successful job of a run, stored with it.
    p.add_argument("run", nargs="?", metavar="RUN", help="a run id or 'latest': (re)score that run's videos")
    p.add_argument("--video", type=Path, metavar="V", help="the talking-head video to score")
    p.add_argument("--image", type=Path, metavar="I", help="the source portrait it was made from")
    p.add_argument(
        "--audio", type=Path, metavar="A", help="the speech (default: the video's own audio track)"
    )
    p.add_argument(
        "--reference",
        type=Path,
        metavar="GT",
        help="a ground-truth video: adds PSNR, SSIM and LMD against it",
    )
    p.add_argument("--json", action="store_true", help="one JSON object (scores at the top level)")
    # Paper-standard scores from the evaluator env (thtui/cli/score_paper.py).
    p.add_argument(
        "--paper",
        action="store_true",
        help="paper scores instead (LSE-C/D, AV offset, CSIM; with --reference also PSNR, SSIM, LMD, LPIPS, "
        "FID, FVD) from the evaluator env, installed on first use",
    )
    p.add_argument(
        "--device", choices=["auto", "cpu", "cuda"], default="auto", help="--paper: where the evaluator runs"
    )
    p.add_argument(
        "--whole-frame",
        action="store_true",
        help="--paper: the video already is the face crop (syncnet_python's example.avi): no face detection",
    )
    p.set_defaults(func=cmd_score)


def cmd_score(args: argparse.Namespace) -> int:
    from thtui.core.media.errors import InputError, MediaError
    from thtui.core.scores import score_video
    from thtui.core.scores.models import ScoreModelsMissing

    if args.paper:
        from thtui.cli.score_paper import cmd_score_paper

        return cmd_score_paper(args)
    if args.run is not None:
        if args.video or args.image or args.audio or args.reference:
            raise CliError("give either RUN or --video/--image, not both")
        from thtui.cli.common import settings_from
        from thtui.cli.score_run import score_run_command

        return score_run_command(settings_from(args), args.run, args.json)
    if args.video is None or args.image is None:
        raise CliError("give a run (thtui score latest) or --video V --image I")
    if not args.json:
        console(stderr=True).print(f"scoring {args.video} …")
    try:
        scores = score_video(args.video, args.image, audio=args.audio, reference=args.reference)
    except InputError as exc:
        raise CliError(str(exc), code=2) from None
    except (MediaError, ScoreModelsMissing) as exc:
        raise CliError(str(exc), code=1) from None
    if args.json:
        print_json(scores.to_json())
    else:
        _print_table(scores)
    return 0


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _print_table(scores: Any) -> None:
    from rich.table import Table

    from thtui.core.scores import METRICS

    out = console()
    for message in scores.messages:
        out.print(f"[yellow]note:[/] {message}")
    table = Table(title=f"scores of {Path(scores.video).name} ({scores.frames} frames at {scores.fps} fps)")
    table.add_column("score")
    table.add_column("value", justify="right")
    table.add_column("better", justify="center")
    table.add_column("unit / why missing")
    for name, info in METRICS.items():
        value = getattr(scores, name)
        if value is None:
            if name in ("psnr", "ssim", "lmd") and scores.reference is None:
                continue  # no reference asked for: nothing to say per row
            table.add_row(name, "—", info.direction, f"[dim]{scores.missing.get(name, '')}[/]")
        else:
            table.add_row(name, _fmt(value), info.direction, info.unit)
    out.print(table)
    out.print(
        "lip-sync is a proxy (mouth opening vs loudness), not SyncNet LSE; "
        "audio delayed by d s gives an offset of +d×25 frames. "
        + "; ".join(f"{k}: {v}" for k, v in scores.sampling.items())
    )
