"""`thtui list`, `thtui doctor`, `thtui plan`: read-only views of the catalog and the machine."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from rich.table import Table

from thtui.cli.common import CliError, catalog_from, console, print_json, settings_from, subcommand
from thtui.core.catalog.filters import CatalogFilter, keep, largest_gpu_bytes
from thtui.core.install_status import solution_status
from thtui.core.plan import build_plan
from thtui.core.wording import plural


def register(sub: argparse._SubParsersAction) -> None:
    p = subcommand(sub, "list", "every solution with install status, licence and estimates")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--fits-gpu", action="store_true", help="only what fits this machine's largest GPU (by estimate)"
    )
    p.add_argument("--commercial", action="store_true", help="only licences that allow commercial use")
    p.add_argument("--installed", action="store_true", help="only installed (ready) solutions")
    p.set_defaults(func=cmd_list)

    p = subcommand(sub, "doctor", "check GPU, driver, conda, git, ffmpeg, disk and settings")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_doctor)

    p = subcommand(
        sub, "plan", "show the exact argv, cwd and environment inference would use (no side effects)"
    )
    p.add_argument("solution")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--image", type=Path)
    src.add_argument(
        "--video",
        type=Path,
        help="your own video as the source (systems that redraw a video's mouth; portrait systems: its first frame)",
    )
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--audio", type=Path)
    g.add_argument("--text", help="text to speak (the TTS stage makes the audio)")
    p.add_argument("--tts", choices=["piper", "coqui"], default="piper")
    p.add_argument("--prompt", metavar="TEXT", help="text prompt for a system that takes one (as thtui run)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_plan)


def cmd_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    catalog = catalog_from(settings)
    rows = []
    flt = list_filter(args)
    for s in catalog:
        sol, st = s.solution, solution_status(settings, s)
        if not keep(s, st.state, flt):
            continue
        rows.append(
            {
                "name": sol.name,
                "title": sol.title,
                "kind": sol.kind,
                "status": st.state,
                "status_detail": st.detail,
                "license_code": sol.license.code,
                "license_weights": sol.license.weights,
                "commercial": sol.license.commercial,
                "vram_gb": sol.estimates.vram_gb,
                "sec_per_sec": sol.estimates.sec_per_sec,
                "disk_gb": sol.estimates.disk_gb,
                "needs_gpu": sol.needs_gpu,
                "gpus": sol.infer.gpus,  # GPUs one job holds together (vram_gb is then per GPU)
                "upstream": f"{sol.upstream.repo}@{sol.upstream.commit[:8]}" if sol.upstream else None,
            }
        )
    if args.json:
        print_json(rows)
        return 0
    title = plural(len(rows), "solution") + (f" ({flt.describe()})" if flt.active else "")
    # One line per system at 80 columns (16 systems and counting): no vertical rules, short headers, sizes as
    # "80G" like the TUI, the licence cut with an ellipsis (wrapped, each row took 2-15 lines); `thtui list
    # --json` and each solution.yaml have the full text. Names are what the user types next: never cut.
    out = console()
    name_w = max((len(r["name"]) for r in rows), default=4)
    rest = name_w + 13 + 7 + 6 + 4 + 5 + 2 * 6  # the other columns, and the padding between columns
    t = Table(title=title, title_justify="left", box=None, pad_edge=False, header_style="bold underline")
    t.add_column("name", no_wrap=True, min_width=name_w)
    t.add_column("status", no_wrap=True, min_width=13)
    t.add_column(
        "licence (code / weights)", no_wrap=True, overflow="ellipsis", max_width=max(12, out.width - rest)
    )
    for col, width in (("comm.", 7), ("VRAM", 6), ("s/s", 4), ("disk", 5)):
        t.add_column(col, no_wrap=True, min_width=width, justify="left" if col == "comm." else "right")
    for r in rows:
        gpus = r["gpus"]
        t.add_row(
            r["name"],
            r["status"],
            f"{r['license_code']} / {r['license_weights']}",
            r["commercial"],
            ((f"{gpus}×" if gpus > 1 else "") + f"{r['vram_gb']:g}G") if r["needs_gpu"] else "no GPU",
            f"{r['sec_per_sec']:g}",
            f"{r['disk_gb']:g}G",
        )
    out.print(t)
    out.print(
        "Estimates are from upstream issues and reports (see each solution.yaml); `thtui run` measures."
    )
    return 0


def list_filter(args: argparse.Namespace) -> CatalogFilter:
    """The filter flags of `thtui list`; NVML is asked only when --fits-gpu is given."""
    gpu_bytes = None
    if args.fits_gpu:
        from thtui.core.gpu_info import probe_gpus

        boards = probe_gpus().gpus
        gpu_bytes = largest_gpu_bytes([g.memory_total_mb for g in boards])
        return CatalogFilter(args.fits_gpu, gpu_bytes, args.commercial, args.installed, len(boards))
    return CatalogFilter(args.fits_gpu, gpu_bytes, args.commercial, args.installed)


_ICON = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "info": "    "}


def cmd_doctor(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    try:
        catalog = catalog_from(settings)
    except CliError:
        catalog = None
    # Imported here: doctor loads the setup engine, which `thtui list` need not pay for.
    from thtui.core.doctor import findings_json, run_doctor

    findings = run_doctor(settings, catalog)
    if args.json:
        print_json(findings_json(findings))
    else:
        out = console()
        for f in findings:
            out.print(f"[{_ICON[f.level]}] {f.check}: {f.detail}", markup=False)
            if f.fix:
                out.print(f"       -> {f.fix}", markup=False)
    return 1 if any(f.level == "fail" for f in findings) else 0


def _require_file(path: Path, what: str) -> Path:
    if not path.exists():
        raise CliError(f"{what} not found: {path}")
    if not path.is_file():
        raise CliError(f"{what} is not a file: {path}")
    return path


def cmd_plan(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    catalog = catalog_from(settings)
    if args.solution not in catalog:
        raise CliError(f"unknown solution {args.solution!r}; known: {', '.join(catalog.names())}")
    video = _require_file(args.video, "video") if args.video is not None else None
    image = video if video is not None else _require_file(args.image, "image")
    tts = None
    if args.audio is not None:
        audio = _require_file(args.audio, "audio")
    else:
        if not args.text or not args.text.strip():
            raise CliError("--text is empty; give the words to speak")
        # The TTS stage runs before the job and writes here; the job then prepares it like any audio.
        audio = settings.cache_dir / "tts" / f"{args.tts}-<hash of text and voice>.wav"
        tts = {"backend": args.tts, "text": args.text, "writes": str(audio)}
    try:
        plan = build_plan(catalog.get(args.solution), settings, image, audio, video=video, prompt=args.prompt)
    except ValueError as exc:  # an empty or overlong --prompt
        raise CliError(f"--prompt: {exc}") from exc
    if args.prompt is not None and "prompt" not in plan.values:  # as `thtui run` warns
        console(stderr=True).print(
            f"warning: --prompt is ignored: {plan.solution} takes no text prompt", markup=False
        )
    if args.json:
        data = plan.to_dict()
        data["tts"] = tts
        print_json(data)
        return 0
    out = console()
    say = lambda s="": out.print(s, markup=False, highlight=False, soft_wrap=True)  # noqa: E731
    say(f"# {plan.solution}: plan for run {plan.run_id} (nothing has been run)")
    if tts:
        say(f"tts:     {tts['backend']} speaks {tts['text']!r} -> {tts['writes']}")
    for item in plan.inputs:
        say(f"{item.kind + ':':8} {item.source}\n         -> {item.dest}\n         ({'; '.join(item.steps)})")
    for f in plan.files:
        say(f"writes:  {f.path}")
        for line in f.content.rstrip().splitlines():
            say(f"         | {line}")
    say(f"mkdir:   {' '.join(shlex.quote(d) for d in plan.mkdirs)}")
    say(f"cwd:     {plan.cwd}")
    env_lines = [f"{k}={v}" for k, v in plan.env.items()] + [f"PATH={':'.join(plan.path_prepend)}:$PATH"]
    say("env:     " + "\n         ".join(env_lines))
    say(f"argv:    {shlex.join(plan.argv)}")
    say(f"output:  {plan.output_path or plan.output_glob + '  (newest match after the job starts)'}")
    say(f"result:  {plan.job_dir}/result.mp4")
    return 0
