"""`thtui say` (text -> WAV) and `thtui check-inputs` (is this portrait/audio usable, per system?)."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from thtui.cli.common import CliError, catalog_from, console, print_json, settings_from, subcommand
from thtui.core.media.errors import InputError, MediaError
from thtui.core.paths_check import PathProblem
from thtui.core.tts import BACKENDS, MAX_TEXT_CHARS, TtsError, export, synthesize


def register(sub: argparse._SubParsersAction) -> None:
    p = subcommand(sub, "say", "speak TEXT into a WAV with Piper (offline, bundled voice) or Coqui")
    p.add_argument("text", metavar="TEXT", help="the words to speak; '-' reads them from standard input")
    p.add_argument(
        "-o", "--output", required=True, type=Path, metavar="OUT.wav", help="also .mp3 .ogg .flac .m4a"
    )
    p.add_argument("--tts", choices=BACKENDS, default="piper", help="backend (default: piper)")
    p.add_argument(
        "--voice",
        help="Piper: en_US-joe-medium (bundled, offline; the default), another rhasspy/piper-voices name "
        "(downloaded once from Hugging Face, e.g. en_US-lessac-medium) or a .onnx path; Coqui: a model name",
    )
    p.add_argument("--speaker", help="Coqui multi-speaker models / XTTS: speaker name")
    p.add_argument("--language", help="Coqui multilingual models / XTTS: language code (default en)")
    p.add_argument("--speaker-wav", type=Path, help="XTTS: clone the voice in this recording")
    p.add_argument("--length-scale", type=float, help="Piper: speaking pace (>1 slower, <1 faster)")
    p.add_argument(
        "--accept-xtts-license",
        action="store_true",
        help="I accept the Coqui Public Model License (non-commercial) for XTTS weights",
    )
    p.add_argument(
        "--max-chars", type=int, default=MAX_TEXT_CHARS, help=f"refuse longer text (default {MAX_TEXT_CHARS})"
    )
    p.add_argument("--no-cache", action="store_true", help="synthesise again even when cached")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_say)
    _hint_dash_text(p)

    p = subcommand(sub, "check-inputs", "validate a portrait and an audio file (and what each system needs)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--image", type=Path)
    src.add_argument(
        "--video", type=Path, help="your own video as the source (systems that redraw a video's mouth)"
    )
    p.add_argument("--audio", required=True, type=Path)
    p.add_argument(
        "--solution", action="append", default=[], metavar="NAME", help="check for this system (repeatable)"
    )
    p.add_argument(
        "--prepare", type=Path, metavar="DIR", help="also write each system's prepared inputs under DIR"
    )
    p.set_defaults(func=cmd_check_inputs)


DASH_HINT = "text that starts with '-' goes after --, e.g. thtui say -o out.wav -- '-hello'"


def _hint_dash_text(parser: argparse.ArgumentParser) -> None:
    """`thtui say "-hello"` read as the option -h with the value "ello" and argparse said only
    "ignored explicit argument 'ello'"; the errors a dash-led TEXT causes now say what to do."""
    plain = parser.error

    def error(message: str):  # argparse looks error up on the instance
        if any(
            s in message for s in ("ignored explicit argument", "required: TEXT", "expected one argument")
        ):
            message = f"{message}; {DASH_HINT}"
        plain(message)

    parser.error = error  # type: ignore[method-assign]


def _read_text(arg: str) -> str:
    return sys.stdin.read() if arg == "-" else arg


def cmd_say(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    options: dict[str, object] = {}
    if args.tts == "piper":
        if args.length_scale is not None:
            options["length_scale"] = args.length_scale
        if args.speaker or args.language or args.speaker_wav:
            raise CliError("--speaker/--language/--speaker-wav are Coqui options; add --tts coqui")
    else:
        if args.length_scale is not None:
            raise CliError("--length-scale is a Piper option")
        options = {"speaker": args.speaker, "language": args.language}
        if args.speaker_wav:
            options["speaker_wav"] = str(args.speaker_wav.resolve())
        options = {k: v for k, v in options.items() if v}
    from thtui.core.paths_check import check_output_file

    # Before synthesis: a folder as -o (was written as DIR.wav) or an unwritable place is one line.
    check_output_file(args.output, "speech file", ".wav")
    try:
        result = synthesize(
            settings,
            _read_text(args.text),
            backend=args.tts,
            voice=args.voice,
            options=options,
            accept_xtts_license=args.accept_xtts_license,
            max_chars=args.max_chars,
            use_cache=not args.no_cache,
        )
        dest = export(result, args.output)
    except (InputError, TtsError, MediaError) as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:  # an output extension we cannot encode
        raise CliError(str(exc)) from None
    except PathProblem:
        raise  # already one line naming the folder (the TTS cache under the data root)
    except OSError as exc:  # the destination went away or filled up between the check and the write
        raise CliError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    if args.json:
        print_json(
            {
                "path": str(dest),
                "provenance": f"{dest}.json",
                "duration_s": round(result.duration_s, 3),
                "rtf": round(result.rtf, 4),
                "backend": result.backend,
                "voice": result.voice,
                "cached": result.cached,
                "cache_path": str(result.path),
            }
        )
        return 0
    speed = f"{1 / result.rtf:.0f}x real time" if result.rtf > 0 else "instant"
    how = "from cache" if result.cached else f"synthesised at {speed}"
    out = console()
    out.print(
        f"wrote {dest}: {result.duration_s:.2f} s of speech, {result.backend} voice {result.voice} ({how})",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    out.print(f"provenance: {dest}.json", markup=False, highlight=False, soft_wrap=True)
    return 0


def _db(v: float) -> str:
    return "-inf" if math.isinf(v) else f"{v:.1f}"


def cmd_check_inputs(args: argparse.Namespace) -> int:
    # Imported here: face detection and the catalog are only needed by this command.
    from thtui.core.inputs import check_inputs, prepare_inputs, size_note, validate_audio, validate_image
    from thtui.core.plan import build_plan

    settings = settings_from(args)
    out = console()
    say = lambda s: out.print(s, markup=False, highlight=False, soft_wrap=True)  # noqa: E731
    if args.video is not None:
        from thtui.cli.video_check import check_video_inputs

        return check_video_inputs(args, settings, say)
    try:
        img = validate_image(args.image)
        say(f"image ok: {args.image} ({img.format} {img.width}x{img.height})")
        note = size_note(img)
        if note:
            say(note)
        aud = validate_audio(args.audio)
        say(
            f"audio ok: {args.audio} ({aud.codec}, {aud.sample_rate} Hz, {aud.channels} ch, "
            f"{aud.duration_s:.2f} s, peak {_db(aud.peak_dbfs)} dBFS)"
        )
        if not args.solution:
            return 0
        if args.prepare:  # checked before any face detection; a file or read-only place is one line
            from thtui.core.paths_check import check_writable_dir

            check_writable_dir(args.prepare, "--prepare folder")
        catalog = catalog_from(settings)
        for name in args.solution:
            if name not in catalog:
                raise CliError(f"unknown solution {name!r}; known: {', '.join(catalog.names())}")
            loaded = catalog.get(name)
            img_info, _ = check_inputs(loaded, args.image, args.audio)
            face = f"; face at {img_info.face.box.as_tuple()}" if img_info.face else ""
            say(f"{name}: inputs ok{face}")
            if args.prepare:
                plan = build_plan(
                    loaded, settings, args.image, args.audio, job_dir=args.prepare.resolve() / name
                )
                for item in prepare_inputs(plan, loaded):
                    say(f"  {item.kind}: {item.path}\n    ({'; '.join(item.steps)})")
    except InputError as exc:
        raise CliError(str(exc)) from None
    except MediaError as exc:
        raise CliError(f"ffmpeg: {exc}") from None
    return 0
