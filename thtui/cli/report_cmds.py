"""`thtui compare`, `thtui rate`, `thtui report`: the headless twins of the Results screen's actions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.table import Table

from thtui.cli.common import CliError, console, print_json, resolve_run_id, settings_from, subcommand
from thtui.core.events import Event
from thtui.core.ratings import CRITERIA, RatingError, rate, ratings_for_run
from thtui.core.report import (
    EXTENSIONS,
    FORMATS,
    CompareError,
    RunNotFound,
    build_report,
    compose_grid,
    diff_runs,
    render,
    render_diff,
    write_report,
)
from thtui.core.report.compare import GridProgress
from thtui.core.report.model import ReportProgress
from thtui.core.report.source import load_run, resolve_job
from thtui.core.wording import plural


def register(sub: argparse._SubParsersAction) -> None:
    p = subcommand(sub, "compare", "side-by-side video of a run's solutions in one labelled grid (mp4)")
    p.add_argument("run_id", metavar="RUN_ID", help="a run id, or 'latest'")
    p.add_argument(
        "--jobs", nargs="+", metavar="JOB", help="job ids or solution names, in grid order (default: all)"
    )
    p.add_argument("--source", action="store_true", help="add the input portrait as the first tile")
    p.add_argument("-o", "--output", type=Path, help="mp4 to write (default: outputs/<run>/compare.mp4)")
    p.add_argument("--tile-height", type=int, default=360, metavar="PX", help="height of each video tile")
    p.set_defaults(func=cmd_compare)

    p = subcommand(sub, "rate", "score a solution's video 1-5 on lip-sync, head motion, artifacts, identity")
    p.add_argument("run_id", metavar="RUN_ID", help="a run id, or 'latest'")
    p.add_argument(
        "solution", nargs="?", metavar="SOLUTION", help="solution name or job id (omit to list ratings)"
    )
    for c in CRITERIA:
        p.add_argument(
            f"--{c.key.replace('_', '-')}",
            dest=c.key,
            type=int,
            choices=range(1, 6),
            metavar="1-5",
            help=c.help,
        )
    p.add_argument("--rater", help="who is rating (default: $THTUI_RATER or your user name)")
    p.add_argument("--note", default="", help="free-text note")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_rate)

    p = subcommand(sub, "report", "a shareable report of a run (md, html, csv, json), or --diff of two runs")
    p.add_argument("run_id", metavar="RUN_ID", nargs="?", help="a run id, or 'latest' (default)")
    p.add_argument("--diff", nargs=2, metavar=("RUN_A", "RUN_B"), help="what changed between two runs")
    p.add_argument("--format", "-f", choices=FORMATS, help="default: from the -o extension, else md")
    p.add_argument(
        "-o", "--output", type=Path, help="file to write (default: stdout; html: outputs/<run>/report.html)"
    )
    p.add_argument("--thumbs", type=int, default=4, metavar="N", help="thumbnails per job (0: none)")
    p.set_defaults(func=cmd_report)


def cmd_compare(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    run_id = resolve_run_id(settings, args.run_id)
    out = args.output or settings.outputs_dir / run_id / "compare.mp4"
    err = console(stderr=True)

    def sink(event: Event) -> None:
        if isinstance(event, GridProgress) and event.total_s and sys.stderr.isatty():
            err.print(f"\rencoding {event.done_s:5.1f}/{event.total_s:.1f} s", end="", markup=False)

    try:
        result = compose_grid(settings, run_id, args.jobs, out, args.source, sink, tile_h=args.tile_height)
    except (CompareError, RunNotFound) as exc:
        raise CliError(str(exc)) from None
    if sys.stderr.isatty():
        err.print()
    for s in result.skipped:
        err.print(f"skipped {s}", markup=False)
    lay = result.layout
    console().print(
        f"wrote {result.path} ({lay.width}x{lay.height}, {result.duration:.2f} s, "
        f"{plural(len(result.labels), 'tile')}: {', '.join(result.labels)})",
        markup=False,
    )
    return 0


def cmd_rate(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    run_id = resolve_run_id(settings, args.run_id)
    try:
        run = load_run(settings, run_id)
    except RunNotFound as exc:
        raise CliError(str(exc)) from None
    scores = {c.key: getattr(args, c.key) for c in CRITERIA if getattr(args, c.key) is not None}
    if args.solution:
        if not scores:
            flags = " ".join(f"--{c.key.replace('_', '-')} N" for c in CRITERIA)
            raise CliError(f"give at least one score: {flags}")
        try:
            job = resolve_job(run, args.solution)
            saved = rate(settings, job.job_id, args.rater, scores, args.note)
        except (LookupError, RatingError) as exc:
            raise CliError(str(exc)) from None
        if not args.json:
            console().print(f"rated {job.label} (job {job.job_id}) as {saved.rater}", markup=False)
    elif scores or args.note:
        raise CliError("name the SOLUTION (or job id) to rate")
    summary = ratings_for_run(settings, run_id)
    if args.json:
        print_json(
            {
                sol: {
                    "means": s.means,
                    "counts": s.counts,
                    "overall": s.overall,
                    "raters": s.raters,
                    "notes": s.notes,
                }
                for sol, s in summary.items()
            }
        )
        return 0
    t = Table(title=f"ratings of run {run_id} (mean 1-5, higher is better)", title_justify="left")
    t.add_column("solution")
    for c in CRITERIA:
        t.add_column(c.label, justify="right")
    t.add_column("raters")
    for sol, s in summary.items():
        cells = [
            f"{s.means[c.key]:.1f} (n={s.counts[c.key]})" if s.means[c.key] is not None else "—"
            for c in CRITERIA
        ]
        t.add_row(sol, *cells, ", ".join(s.raters) or "—")
    console().print(t)
    return 0


def _format(args: argparse.Namespace) -> str:
    """--format, else the -o extension, else md (to stdout). An -o whose extension names no format is
    refused: writing markdown into report.pdf and exiting 0 would hide the mistake."""
    if args.format:
        return args.format
    if args.output is None:
        return "md"
    ext = args.output.suffix.lower()
    for fmt, e in EXTENSIONS.items():
        if ext == e or (fmt == "md" and ext == ".markdown") or (fmt == "html" and ext == ".htm"):
            return fmt
    what = ext or f"{args.output.name} (no extension)"
    formats = "md|json" if args.diff else "|".join(FORMATS)
    raise CliError(f"cannot tell the format from {what}; use --format {formats}")


def cmd_report(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    fmt = _format(args)
    if args.output is not None:  # before any work: a folder or unwritable place is refused at once
        from thtui.core.paths_check import check_output_file

        check_output_file(args.output, "report")
    if args.diff:
        if args.run_id:
            raise CliError("give either RUN_ID or --diff RUN_A RUN_B, not both")
        if fmt not in ("md", "json"):
            raise CliError("--diff writes md or json")
        a, b = (resolve_run_id(settings, r) for r in args.diff)
        try:
            text = render_diff(diff_runs(settings, a, b), fmt)
        except RunNotFound as exc:
            raise CliError(str(exc)) from None
        return _emit(text, args.output)

    run_id = resolve_run_id(settings, args.run_id)
    err = console(stderr=True)

    def sink(event: Event) -> None:
        if isinstance(event, ReportProgress) and sys.stderr.isatty():
            err.print(f"report: {event.step} {event.detail}".rstrip(), markup=False)

    try:
        report = build_report(settings, run_id, thumbs_per_job=max(0, args.thumbs), sink=sink)
    except RunNotFound as exc:
        raise CliError(str(exc)) from None
    dest = args.output
    if dest is None and fmt == "html":
        dest = settings.outputs_dir / run_id / "report.html"
    if dest is None:
        return _emit(render(report, fmt), None)
    written = write_report(report, fmt, dest)
    console().print(
        f"wrote {written[0]}" + (f" (+{plural(len(written) - 1, 'thumbnail')})" if len(written) > 1 else ""),
        markup=False,
    )
    return 0


def _emit(text: str, output: Path | None) -> int:
    if output is None:
        sys.stdout.write(text)
        return 0
    from thtui.core.paths_check import check_output_file, ensure_dir

    check_output_file(output, "report")
    ensure_dir(output.parent, "report folder")
    output.write_text(text, encoding="utf-8")
    console().print(f"wrote {output}", markup=False)
    return 0
