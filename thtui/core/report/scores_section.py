"""Automatic scores (thtui.core.scores) in every report format, `report --diff` and the headless tables.

One place decides which scores a table shows, with which header, direction and number format; the md,
html, csv and json renderers, the diff and `thtui score RUN` call in here. Each score says how it was
measured (thtui.core.scores.METRICS) and the lip-sync number is called a proxy, never LSE.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any


# The columns tables show (the json/csv carry every metric). Direction: ↑ higher better, ↓ lower better,
# →0 nearer zero better, · no better direction (compare with real video).
@dataclass(frozen=True)
class ScoreColumn:
    key: str
    label: str
    digits: int
    short: str  # for terminal and TUI tables (80 columns)


COLUMNS: tuple[ScoreColumn, ...] = (
    ScoreColumn("face_found", "face found", 2, "face"),
    ScoreColumn("lipsync_corr", "lip-sync r (proxy)", 2, "sync r"),
    ScoreColumn("lipsync_offset_frames", "sync offset (frames)", 0, "off"),
    ScoreColumn("identity_distance", "identity dist.", 3, "id dist"),
    ScoreColumn("head_roll_std_deg", "roll std (°)", 1, "roll σ°"),
    ScoreColumn("blinks_per_min", "blinks/min", 1, "blinks"),
    ScoreColumn("sharpness_ratio", "sharpness ratio", 2, "sharp"),
    ScoreColumn("cpbd", "CPBD (face)", 2, "cpbd"),
    ScoreColumn("jitter", "jitter (% IOD)", 2, "jitter"),
)
LICENCE = (
    "Landmarks: dlib 68-point model trained on iBUG 300-W (non-commercial use only); identity: dlib ResNet "
    "descriptor (public domain). Offline, on the CPU, at 25 fps (-vf fps=25)."
)


def metric_info() -> dict[str, Any]:
    from thtui.core.scores import METRICS

    return METRICS


def direction(key: str) -> str:
    info = metric_info().get(key)
    return info.direction if info else ""


def fmt(key: str, value: Any, digits: int | None = None) -> str:
    """A score as text: '—' when absent, yes/no for flags, signed for the offset."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "lipsync_offset_frames":
        return f"{int(value):+d}"
    if digits is None:
        digits = next((c.digits for c in COLUMNS if c.key == key), 3)
    return f"{float(value):.{digits}f}"


def load_scores(settings: Any, jobs: list[Any]) -> dict[str, dict[str, Any]]:
    """job id -> scores (store first, else <job dir>/scores.json), for JobView-like objects
    (job_id, job_dir). Jobs never scored are left out."""
    from thtui.core.scores.stored import job_scores

    return per_job_scores(settings, jobs, job_scores)


def per_job_scores(settings: Any, jobs: list[Any], read: Any) -> dict[str, dict[str, Any]]:
    """job id -> read(store or None, job_id, job_dir) for each job it finds something for: the store when
    its database opens, else the files beside each job (the reader falls back to them)."""
    from thtui.core.store import Store

    store = None
    try:
        if Path(settings.db_path).is_file():
            store = Store(settings.db_path)
    except Exception:  # an unreadable database: the files still know
        store = None
    try:
        out = {}
        for j in jobs:
            data = read(store, j.job_id, getattr(j, "job_dir", None))
            if data is not None:
                out[j.job_id] = data
        return out
    finally:
        if store is not None:
            store.close()


def header(c: ScoreColumn, short: bool = False) -> str:
    return f"{c.short if short else c.label} {direction(c.key)}".strip()


def rows(labels: list[tuple[str, str]], scores: dict[str, dict[str, Any]]) -> list[list[str]]:
    """[label, *column values] for every (job id, label) that has scores."""
    out = []
    for job_id, label in labels:
        data = scores.get(job_id)
        if data is not None:
            out.append([label, *(fmt(c.key, data.get(c.key)) for c in COLUMNS)])
    return out


def how_lines() -> list[str]:
    """'key (direction, unit): how it was measured' for every table column."""
    info = metric_info()
    return [f"{c.label} {info[c.key].direction} ({info[c.key].unit}): {info[c.key].method}" for c in COLUMNS]


def _missing_notes(labels: list[tuple[str, str]], scores: dict[str, dict[str, Any]]) -> list[str]:
    notes = []
    for job_id, label in labels:
        data = scores.get(job_id)
        if not data:
            continue
        missing = data.get("missing") or {}
        shown = {c.key for c in COLUMNS}
        reasons: dict[str, list[str]] = {}
        for key, why in missing.items():
            if key in shown:
                reasons.setdefault(why, []).append(key)
        for why, keys in reasons.items():
            notes.append(f"{label}: {', '.join(keys)} absent: {why}")
    return notes


def _labels(report: Any) -> list[tuple[str, str]]:
    return [(r.job.job_id, r.job.label) for r in report.rows]


def markdown(report: Any) -> list[str]:
    scores = getattr(report, "scores", None) or {}
    labels = _labels(report)
    table = rows(labels, scores)
    if not table:
        return []
    out = ["## Automatic scores", ""]
    out.append("| Solution | " + " | ".join(header(c) for c in COLUMNS) + " |")
    out.append("|---|" + "---:|" * len(COLUMNS))
    out += ["| " + " | ".join(r) + " |" for r in table]
    out += [
        "",
        "↑ higher is better · ↓ lower is better · →0 nearer zero is better · · no better direction.",
        "",
    ]
    out += [f"- {line}" for line in how_lines()]
    out += [
        "- Lip-sync sign: audio delayed by d seconds gives an offset of +d × 25 frames. "
        "A proxy from landmarks and loudness, not SyncNet LSE-C/D.",
        f"- {LICENCE}",
    ]
    out += [f"- {n}" for n in _missing_notes(labels, scores)]
    out.append("")
    return out


def html_section(report: Any) -> str:
    scores = getattr(report, "scores", None) or {}
    labels = _labels(report)
    table = rows(labels, scores)
    if not table:
        return ""
    e = html.escape
    head = "".join(f"<th>{e(header(c))}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + f"<td>{e(r[0])}</td>" + "".join(f'<td class="num">{e(v)}</td>' for v in r[1:]) + "</tr>"
        for r in table
    )
    notes = [*how_lines(), "Lip-sync sign: audio delayed by d s gives an offset of +d × 25 frames; a proxy, not LSE.",
             LICENCE, *_missing_notes(labels, scores)]  # fmt: skip
    items = "".join(f"<li>{e(n)}</li>" for n in notes)
    return (
        f'<h2 id="scores">Automatic scores</h2><table><thead><tr><th>Solution</th>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
        "<p>↑ higher is better · ↓ lower is better · →0 nearer zero is better · · no better direction.</p>"
        f'<ul class="how">{items}</ul>'
    )


def json_section(report: Any) -> dict[str, Any]:
    """Per job: status, every metric's value, why any is absent; and each metric's direction/unit/method."""
    from dataclasses import asdict

    scores = getattr(report, "scores", None) or {}
    info = metric_info()
    jobs = {}
    for job_id, data in scores.items():
        jobs[job_id] = {
            "status": data.get("status"),
            "values": {k: data.get(k) for k in info},
            "missing": data.get("missing") or {},
            "messages": data.get("messages") or [],
        }
    return {
        "metrics": {k: asdict(v) for k, v in info.items()},
        "lipsync_sign_convention": "audio delayed by d seconds gives an offset of +d x fps frames",
        "licence": LICENCE,
        "jobs": jobs,
    }


def csv_columns() -> list[str]:
    return [f"score_{k}" for k in metric_info()]


def csv_values(data: dict[str, Any] | None) -> dict[str, Any]:
    out = {}
    for k in metric_info():
        v = (data or {}).get(k)
        out[f"score_{k}"] = "" if v is None else (str(v).lower() if isinstance(v, bool) else v)
    return out


def per_solution(scores: dict[str, dict[str, Any]], jobs: list[Any]) -> dict[str, dict[str, float | None]]:
    """solution -> column key -> mean over its scored jobs (for `report --diff`)."""
    out: dict[str, dict[str, float | None]] = {}
    for c in COLUMNS:
        for sol in {j.solution for j in jobs}:
            vals = [
                float(scores[j.job_id][c.key])
                for j in jobs
                if j.solution == sol
                and j.job_id in scores
                and isinstance(scores[j.job_id].get(c.key), (int, float))
            ]
            out.setdefault(sol, {})[c.key] = sum(vals) / len(vals) if vals else None
    return out


def diff_lines(a: dict[str, dict[str, float | None]], b: dict[str, dict[str, float | None]]) -> list[str]:
    """Markdown table rows: solution · score · A · B · change, for solutions in both runs with scores."""
    out = []
    for sol in sorted(set(a) & set(b)):
        for c in COLUMNS:
            va, vb = a[sol].get(c.key), b[sol].get(c.key)
            if va is None and vb is None:
                continue
            delta = f"{vb - va:+.{max(c.digits, 2)}f}" if va is not None and vb is not None else "n/c"
            out.append(f"| {sol} | {header(c)} | {fmt(c.key, va)} | {fmt(c.key, vb)} | {delta} |")
    if not out:
        return []
    return [
        "## Automatic scores",
        "",
        "| Solution | Score | A | B | B − A |",
        "|---|---|---:|---:|---:|",
        *out,
        "",
        "Means over each solution's scored jobs. ↑ higher is better · ↓ lower · →0 nearer zero · · no direction. "
        "Lip-sync is a proxy (landmarks vs loudness), not LSE.",
        "",
    ]
