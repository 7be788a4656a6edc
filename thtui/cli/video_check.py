"""`thtui check-inputs --video V`: the video-source branch of check-inputs (thtui/cli/say_cmd.py), kept here so
that command stays small. The checks themselves are thtui.core.inputs_video's."""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path

from thtui.cli.common import CliError, catalog_from
from thtui.core.config import Settings


def check_video_inputs(args: argparse.Namespace, settings: Settings, say: Callable[[str], None]) -> int:
    from thtui.core.inputs import InputError, validate_audio
    from thtui.core.inputs_video import check_video, check_video_for, prepare_video_inputs, takes_video
    from thtui.core.media import MediaError
    from thtui.core.plan import build_plan

    try:
        seconds = check_video(args.video)
        say(f"video ok: {args.video} ({seconds:.2f} s)")
        aud = validate_audio(args.audio)
        say(f"audio ok: {args.audio} ({aud.codec}, {aud.sample_rate} Hz, {aud.duration_s:.2f} s)")
        catalog = catalog_from(settings)
        for name in args.solution:
            if name not in catalog:
                raise CliError(f"unknown solution {name!r}; known: {', '.join(catalog.names())}")
            loaded = catalog.get(name)
            with tempfile.TemporaryDirectory(prefix="thtui-video-") as tmp:
                _, frame = check_video_for(loaded, args.video, args.audio, Path(tmp))
            which = "middle" if takes_video(loaded.solution) else "first"  # portrait systems: the first
            face = f"; face at {frame.face.box.as_tuple()} in the {which} frame" if frame.face else ""
            say(f"{name}: inputs ok{face}")
            if args.prepare:
                job_dir = args.prepare.resolve() / name
                plan = build_plan(loaded, settings, args.video, args.audio, job_dir=job_dir, video=args.video)
                for item in prepare_video_inputs(plan, loaded):
                    say(f"  {item.kind}: {item.path}\n    ({'; '.join(item.steps)})")
    except InputError as exc:
        raise CliError(str(exc)) from None
    except MediaError as exc:
        raise CliError(f"ffmpeg: {exc}") from None
    return 0
