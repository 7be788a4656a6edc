"""`build_report(settings, run_id) -> Report`: everything a report shows, gathered once; the renderers
(md, html, csv, json) only format it.
"""

from __future__ import annotations

import os
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from thtui import __version__
from thtui.core.catalog import Catalog, ManifestError
from thtui.core.config import Settings
from thtui.core.events import Event, EventSink, discard
from thtui.core.ratings import CRITERIA, SolutionRatings, ratings_for_jobs, summarise
from thtui.core.report.fingerprint import capture_fingerprint
from thtui.core.report.metrics import METRICS, method_notes, normalise
from thtui.core.report.paper_table import load_paper_scores, reference_run_of
from thtui.core.report.scores_section import load_scores
from thtui.core.report.source import JobView, RunView, load_run
from thtui.core.report.thumbs import thumbnails
from thtui.core.wording import plural

FP_RECORDED = "recorded at run start (run.json)"
FP_CAPTURED = (
    "captured when this report was made: the run did not record one, so it may differ from the run's"
)


@dataclass(frozen=True)
class Stats:
    """mean ± sample σ over a solution's successful repeats."""

    n: int
    mean: float
    stdev: float
    min: float
    max: float


def stats(values: list[float]) -> Stats | None:
    if not values:
        return None
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return Stats(len(values), statistics.fmean(values), sd, min(values), max(values))


@dataclass(frozen=True)
class JobRow:
    job: JobView
    values: dict[str, float | None]  # normalised metrics (thtui.core.report.metrics.METRICS keys)
    thumbs: list[bytes] = field(default_factory=list)  # JPEG frames


@dataclass
class Report:
    run: RunView
    rows: list[JobRow]
    ratings: dict[str, SolutionRatings]  # solution -> means over raters
    fingerprint: dict[str, Any]
    fingerprint_origin: str  # FP_RECORDED | FP_CAPTURED | an explanation when neither worked
    generated_at: str
    thtui_version: str = __version__
    compare_video: Path | None = None  # outputs/<run>/compare.mp4 when `thtui compare` made one
    notes: list[str] = field(default_factory=list)
    method_notes: list[str] = field(default_factory=list)  # how this run's numbers were taken, per job
    # solution (· case) -> metric key -> mean ± σ over successful repeats; only for repeated solutions
    repeat_stats: dict[str, dict[str, Stats]] = field(default_factory=dict)
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)  # job id -> automatic scores
    paper_scores: dict[str, dict[str, Any]] = field(default_factory=dict)  # job id -> the evaluator's scores

    @property
    def criteria(self):
        return CRITERIA


@dataclass(frozen=True)
class ReportProgress(Event):
    step: str  # "run", "thumbnails", "fingerprint", "ratings"
    detail: str = ""


def _fingerprint(settings: Settings, run: RunView, catalog: Catalog | None) -> tuple[dict[str, Any], str]:
    if run.fingerprint:
        return run.fingerprint, FP_RECORDED
    try:
        catalog = catalog or Catalog.load(settings.solutions_dir)
    except ManifestError as exc:
        return {}, f"not available: the run has none and the catalog did not load ({exc})"
    return capture_fingerprint(settings, catalog, [j.solution for j in run.jobs]), FP_CAPTURED


def build_report(
    settings: Settings,
    run_id: str,
    *,
    catalog: Catalog | None = None,
    thumbs_per_job: int = 4,
    sink: EventSink = discard,
) -> Report:
    """Gather one run's jobs, metrics, ratings, thumbnails and environment fingerprint.

    When run.json carries no "fingerprint" one is captured now and `Report.fingerprint_origin` (and a
    note) says so. Raises thtui.core.report.source.RunNotFound for an unknown run."""
    sink(ReportProgress("run", run_id))
    run = load_run(settings, run_id)

    sink(ReportProgress("thumbnails", f"{sum(1 for j in run.jobs if j.video)} videos"))

    def row(job: JobView) -> JobRow:
        frames = thumbnails(job.video, thumbs_per_job) if job.video and thumbs_per_job else []
        return JobRow(job, normalise(job.metrics), frames)

    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        rows = list(pool.map(row, run.jobs))

    sink(ReportProgress("ratings"))
    by_solution: dict[str, list[str]] = {}
    for j in run.jobs:
        by_solution.setdefault(j.solution, []).append(j.job_id)
    all_ratings = ratings_for_jobs(settings, [j.job_id for j in run.jobs])
    ratings = {s: summarise(s, ids, all_ratings) for s, ids in by_solution.items()}

    sink(ReportProgress("fingerprint"))
    fp, origin = _fingerprint(settings, run, catalog)
    notes = []
    if origin != FP_RECORDED:
        failed_capture = run.raw.get("fingerprint_error")
        why = f" (capturing it at run start failed: {failed_capture})" if failed_capture else ""
        notes.append(f"Environment fingerprint {origin}{why}.")
    unfinished = [j for j in run.jobs if j.unfinished]
    if run.status == "running":
        notes.insert(0, (
            f"This run is still in progress: {len(run.jobs) - len(unfinished)} of {plural(len(run.jobs), 'job')} "
            f"finished. Jobs marked running or pending have not failed; make the report again when it ends."
        ))  # fmt: skip
    elif unfinished:
        notes.insert(0, (
            f"This run was interrupted before {plural(len(unfinished), 'job')} finished "
            f"({', '.join(j.label for j in unfinished)}); `thtui run --resume {run.run_id}` continues it."
        ))  # fmt: skip
    failed = [j.label for j in run.jobs if not j.ok and not j.unfinished]
    if failed:
        notes.append(f"{len(failed)} of {plural(len(run.jobs), 'job')} did not succeed: {', '.join(failed)}.")
    compare = run.dir / "compare.mp4"
    groups: dict[str, list[JobRow]] = {}
    for r in rows:
        if r.job.ok:
            key = r.job.solution + (
                f" · case {r.job.case_index + 1}" if len({j.case_index for j in run.jobs}) > 1 else ""
            )
            groups.setdefault(key, []).append(r)
    repeat_stats = {}
    for key, group in groups.items():
        if len(group) > 1:
            per = {
                m.key: stats([r.values[m.key] for r in group if r.values.get(m.key) is not None])
                for m in METRICS
            }
            repeat_stats[key] = {k: v for k, v in per.items() if v is not None}
    return Report(
        run=run,
        rows=rows,
        ratings=ratings,
        fingerprint=fp,
        fingerprint_origin=origin,
        generated_at=time.strftime("%Y-%m-%d %H:%M:%S %z"),
        compare_video=compare if compare.is_file() else None,
        notes=notes,
        method_notes=method_notes([(r.job.label, r.job.metrics) for r in rows]),
        repeat_stats=repeat_stats,
        scores=load_scores(settings, run.jobs),
        paper_scores=load_paper_scores(settings, run.jobs) if reference_run_of(run) else {},
    )


def link(path: Path, dest: Path | None, outputs_dir: Path | None = None) -> str:
    """How a report at `dest` should point at `path`: a relative link when the report sits beside the
    outputs (in the outputs folder or below it, and so does the file), else a file: URI."""
    path = Path(path).resolve()
    if dest is not None:
        base = Path(dest).resolve().parent
        roots = [base] + ([Path(outputs_dir).resolve()] if outputs_dir else [])
        for root in roots:
            if path.is_relative_to(root) and base.is_relative_to(root):
                return quote(Path(os.path.relpath(path, base)).as_posix())
    return path.as_uri()
