"""Compare and report: side-by-side videos, reports in four formats, environment fingerprints, run diffs.

Public API (the CLI's `compare`/`report` and the TUI's Results screen use only these):

    compose_grid(settings, run_id, job_ids | None, out, include_source=False, sink=None) -> GridResult
    build_report(settings, run_id, *, catalog=None, thumbs_per_job=4, sink=None) -> Report
    render(report, fmt, dest=None) -> str            # fmt: "md" | "html" | "csv" | "json"
    write_report(report, fmt, dest) -> list[Path]    # writes dest (+ thumbnail files for md)
    capture_fingerprint(settings, catalog, solutions) -> dict
    diff_runs(settings, run_a, run_b) -> RunDiff ; render_diff(diff, fmt) -> str

Ratings live in thtui.core.ratings (rate, ratings_for_run, CRITERIA).
"""

from __future__ import annotations

from pathlib import Path

from thtui.core.report.compare import CompareError, GridResult, Tile, compose_grid, compose_videos
from thtui.core.report.diff import RunDiff, diff_fingerprints, diff_runs, render_diff
from thtui.core.report.fingerprint import capture_fingerprint
from thtui.core.report.model import Report, ReportProgress, build_report
from thtui.core.report.render_csv_json import CSV_COLUMNS, JSON_SCHEMA, render_csv, render_json, report_dict
from thtui.core.report.render_html import render_html
from thtui.core.report.render_md import render_md
from thtui.core.report.source import RunNotFound, load_run
from thtui.core.report.thumbs import strip

FORMATS = ("md", "html", "csv", "json")
EXTENSIONS = {"md": ".md", "html": ".html", "csv": ".csv", "json": ".json"}


def render(report: Report, fmt: str, dest: Path | None = None) -> str:
    """The report as text in `fmt`. `dest` is where it will be saved: links to videos and logs are then
    relative when it sits in the outputs folder (or below), file: URIs otherwise (and when dest is None).
    Markdown from here has no thumbnails (GitHub shows no data: URIs); `write_report` adds them as files."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    outputs = _outputs_dir(report)
    if fmt == "html":
        return render_html(report, dest, outputs)
    if fmt == "md":
        return render_md(report, dest, outputs)
    if fmt == "csv":
        return render_csv(report, dest, outputs)
    return render_json(report, dest, outputs)


def write_report(report: Report, fmt: str, dest: Path) -> list[Path]:
    """Write the report to `dest` (atomically). For Markdown, each job's thumbnail strip is written as a
    JPEG into `<dest stem>_thumbs/` beside it and embedded by relative link. Returns the files written."""
    from thtui.core.paths_check import check_output_file, ensure_dir

    # A folder given as -o, a read-only or file-typed parent: one PathProblem line before anything is
    # written (was IsADirectoryError with .<name>.partial left behind).
    dest = check_output_file(Path(dest), "report")
    ensure_dir(dest.parent, "report folder")
    written: list[Path] = []
    if fmt == "md":
        thumbs_dir = dest.parent / f"{dest.stem}_thumbs"
        links: dict[str, str] = {}
        for row in report.rows:
            jpeg = strip(row.thumbs)
            if jpeg is None:
                continue
            thumbs_dir.mkdir(exist_ok=True)
            safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in row.job.label)
            path = thumbs_dir / f"{safe}.jpg"
            path.write_bytes(jpeg)
            written.append(path)
            links[row.job.job_id] = f"{thumbs_dir.name}/{path.name}"
        text = render_md(report, dest, _outputs_dir(report), thumb_links=links)
    else:
        text = render(report, fmt, dest)
    tmp = dest.with_name(f".{dest.name}.partial")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        from thtui.core.paths_check import PathProblem

        raise PathProblem(f"report {dest} cannot be written: {exc.strerror or exc}", dest) from None
    return [dest, *written]


def _outputs_dir(report: Report) -> Path:
    return report.run.dir.parent


__all__ = [
    "CSV_COLUMNS",
    "EXTENSIONS",
    "FORMATS",
    "JSON_SCHEMA",
    "CompareError",
    "GridResult",
    "Report",
    "ReportProgress",
    "RunDiff",
    "RunNotFound",
    "Tile",
    "build_report",
    "capture_fingerprint",
    "compose_grid",
    "compose_videos",
    "diff_fingerprints",
    "diff_runs",
    "load_run",
    "render",
    "render_diff",
    "report_dict",
    "write_report",
]
