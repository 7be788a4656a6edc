"""Machine-readable reports.

CSV: one row per job, columns CSV_COLUMNS (stable order; empty cell = not measured).
JSON: {"schema": "thtui.report/1", "run", "generated_at", "thtui_version", "metrics" (definitions with how
each was measured), "criteria", "jobs" (per job: metrics in report units, raw metrics.json, ratings,
video/log links), "ratings" (per solution), "fingerprint", "fingerprint_origin", "notes"}.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from thtui.core.ratings import CRITERIA, CRITERION_KEYS, SolutionRatings
from thtui.core.report import paper_table
from thtui.core.report.metrics import METRICS, SUCCESS_HOW
from thtui.core.report.model import Report, link
from thtui.core.report.scores_section import csv_columns, csv_values
from thtui.core.report.scores_section import json_section as scores_json

JSON_SCHEMA = "thtui.report/1"
CSV_COLUMNS: tuple[str, ...] = (
    "run_id",
    "job_id",
    "solution",
    "label",
    "status",
    "success",
    *(m.key for m in METRICS),
    *(f"rating_{k}" for k in CRITERION_KEYS),
    "rating_overall",
    "ratings_n",
    "torch",
    "upstream_commit",
    "video",
    "error",
)


def _ratings_json(sr: SolutionRatings | None) -> dict[str, Any]:
    if sr is None:
        return {
            "means": dict.fromkeys(CRITERION_KEYS),
            "counts": dict.fromkeys(CRITERION_KEYS, 0),
            "raters": [],
            "notes": [],
        }
    return {
        "means": sr.means,
        "counts": sr.counts,
        "overall": sr.overall,
        "raters": list(sr.raters),
        "notes": [{"rater": r, "note": n} for r, n in sr.notes],
        "ratings": [
            {"job_id": r.job_id, "rater": r.rater, "scores": r.scores, "note": r.note, "at": r.created_at}
            for r in sr.ratings
        ],
    }


def _env_of(report: Report, solution: str) -> tuple[str | None, str | None]:
    s = (report.fingerprint.get("solutions") or {}).get(solution) or {}
    torch = (s.get("env") or {}).get("torch")
    up = s.get("upstream") or {}
    return torch, up.get("head_commit") or up.get("pinned_commit")


def report_dict(report: Report, dest: Path | None = None, outputs_dir: Path | None = None) -> dict[str, Any]:
    run = report.run
    outputs = outputs_dir or run.dir.parent
    jobs = []
    for r in report.rows:
        j = r.job
        jobs.append(
            {
                "job_id": j.job_id,
                "solution": j.solution,
                "label": j.label,
                "status": j.status,
                "success": j.ok,
                "failure": j.failure,
                "error": j.error,
                "metrics": r.values,
                "raw_metrics": j.metrics,
                "ratings": _ratings_json(report.ratings.get(j.solution)),
                "video": link(j.video, dest, outputs) if j.video else None,
                "log": link(j.log, dest, outputs) if j.log else None,
                "job_dir": str(j.job_dir),
            }
        )
    return {
        "schema": JSON_SCHEMA,
        "run": {
            "run_id": run.run_id,
            "dir": str(run.dir),
            "created_at": run.created_at,
            "status": run.status,
            "inputs": run.inputs,
        },
        "generated_at": report.generated_at,
        "thtui_version": report.thtui_version,
        "metrics": [
            {"key": m.key, "label": m.label, "unit": m.unit, "better": m.better, "how": m.how}
            for m in METRICS
        ]
        + [{"key": "success", "label": "Status", "unit": "", "better": None, "how": SUCCESS_HOW}],
        "criteria": [{"key": c.key, "label": c.label, "help": c.help, "min": 1, "max": 5} for c in CRITERIA],
        "jobs": jobs,
        "ratings": {s: _ratings_json(sr) for s, sr in report.ratings.items()},
        "compare_video": link(report.compare_video, dest, outputs) if report.compare_video else None,
        "fingerprint": report.fingerprint,
        "fingerprint_origin": report.fingerprint_origin,
        "notes": report.notes,
        "scores": scores_json(report),
        "paper_table": paper_table.json_section(report),  # None unless a --reference run
    }


def render_json(report: Report, dest: Path | None = None, outputs_dir: Path | None = None) -> str:
    return (
        json.dumps(report_dict(report, dest, outputs_dir), indent=2, ensure_ascii=False, default=str) + "\n"
    )


def render_csv(report: Report, dest: Path | None = None, outputs_dir: Path | None = None) -> str:
    outputs = outputs_dir or report.run.dir.parent
    buf = io.StringIO()
    scored = bool(report.scores)  # score_* columns only when the run was scored (thtui.core.scores)
    w = csv.DictWriter(
        buf,
        fieldnames=[*CSV_COLUMNS, *(csv_columns() if scored else []), *paper_table.csv_columns(report)],
        lineterminator="\n",
    )
    w.writeheader()
    for r in report.rows:
        j = r.job
        sr = report.ratings.get(j.solution)
        torch, commit = _env_of(report, j.solution)
        row: dict[str, Any] = {
            "run_id": report.run.run_id,
            "job_id": j.job_id,
            "solution": j.solution,
            "label": j.label,
            "status": j.status,
            "success": "true" if j.ok else "false",
            "ratings_n": len(sr.ratings) if sr else 0,
            "rating_overall": sr.overall if sr and sr.overall is not None else "",
            "torch": torch or "",
            "upstream_commit": commit or "",
            "video": link(j.video, dest, outputs) if j.video else "",
            "error": (j.error or "") if not j.ok else "",
        }
        for m in METRICS:
            v = r.values.get(m.key)
            row[m.key] = "" if v is None else round(v, 6)
        for k in CRITERION_KEYS:
            mean = sr.means.get(k) if sr else None
            row[f"rating_{k}"] = "" if mean is None else mean
        if scored:
            row.update(csv_values(report.scores.get(j.job_id)))
        if paper_table.reference_run(report):  # the per-job values the paper-style table averages
            row.update(paper_table.csv_values(report, j))
        w.writerow(row)
    return buf.getvalue()
