"""The paper-style table of a `thtui run --reference` run: rows are systems, columns the metrics papers report
(with ↑/↓), each cell the mean over the run's cases and how many cases it covers, and beside each system the
published HDTF range of the same method (thtui/core/report/anchors.yaml, from anchors.md §2.1) with its
sources and caveats.

Values come from the stores under the keys below: LSE-C/D, AV offset, CSIM, FID, FVD and LPIPS from the
paper-metric evaluator (its own env; the `paper_scores` table, thtui.core.scores.paper_store), PSNR/SSIM/LMD
from the evaluator when it computed them, else from the offline scorer (the `scores` table), CPBD from the
offline scorer. A metric no case has is shown absent, with the reason.
"""

from __future__ import annotations

import functools
import html
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from thtui.core.report.paper_pooled import SET_NOTE, Cell
from thtui.core.report.paper_pooled import set_level as _set_level

ANCHORS = Path(__file__).with_name("anchors.yaml")


@dataclass(frozen=True)
class PaperMetric:
    key: str
    label: str
    direction: str  # ↑ higher is better, ↓ lower is better, →0 nearer zero is better
    digits: int
    by: str  # who computes it


_EVAL = "paper-metric evaluator"
METRICS: tuple[PaperMetric, ...] = (
    PaperMetric("lse_c", "LSE-C", "↑", 3, _EVAL),
    PaperMetric("lse_d", "LSE-D", "↓", 3, _EVAL),
    PaperMetric("av_offset", "AV offset", "→0", 1, _EVAL),
    PaperMetric("csim", "CSIM", "↑", 3, _EVAL),
    PaperMetric("fid", "FID", "↓", 2, _EVAL),
    PaperMetric("fvd", "FVD", "↓", 1, _EVAL),
    PaperMetric("lpips", "LPIPS", "↓", 3, _EVAL),
    PaperMetric("psnr", "PSNR (dB)", "↑", 2, "offline scorer (or the evaluator)"),
    PaperMetric("ssim", "SSIM", "↑", 3, "offline scorer (or the evaluator)"),
    PaperMetric("lmd", "LMD (px)", "↓", 2, "offline scorer (or the evaluator)"),
    PaperMetric("cpbd", "CPBD", "↑", 3, "offline scorer (face region; no reference needed)"),
)
NOT_EVALUATED = (
    "not computed: the paper-metric evaluator (SyncNet, ArcFace, FID/FVD/LPIPS in its own env: thtui setup "
    "evaluator) has not scored these videos"
)
ALIGNMENT = (
    "Against each reference: both videos resampled to 25 fps (the fps filter), frame i against frame i from "
    "t = 0 over the shorter of the two, the reference scaled to the generated video's size. Each case's "
    "portrait is its reference's first frame with a face, its speech the reference's own audio track."
)

CPBD_NOTE = (
    "CPBD here: the face region (the landmark box grown to whole 64-px tiles, at the video's resolution); "
    "published CPBD values (the papers' tables and the usual evaluation scripts): whole grey frames. Not the "
    "same measurement: the two are not directly comparable."
)


@dataclass(frozen=True)
class Range:
    lo: float
    hi: float
    sources: tuple[str, ...]

    def text(self, digits: int) -> str:
        if self.lo == self.hi:
            return f"{self.lo:.{digits}f}"
        return f"{self.lo:.{digits}f}–{self.hi:.{digits}f}"


@dataclass(frozen=True)
class SystemRow:
    solution: str
    cells: dict[str, Cell]
    method: str | None  # the published method this solution is, when anchors.yaml has it
    published: dict[str, Range] = field(default_factory=dict)


@dataclass(frozen=True)
class PaperTable:
    dataset: str
    references: list[dict[str, Any]]
    rows: list[SystemRow]
    real_video: dict[str, Range]
    others: dict[str, dict[str, Range]]  # published methods no system of this run is
    caveats: list[str]
    source_doc: str


@functools.lru_cache(maxsize=1)
def load_anchors() -> dict[str, Any]:
    import yaml

    data = yaml.safe_load(ANCHORS.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _ranges(rows: list[dict[str, Any]]) -> dict[str, Range]:
    values: dict[str, list[tuple[float, str]]] = {}
    for r in rows:
        for key, v in (r.get("values") or {}).items():
            values.setdefault(key, []).append((float(v), str(r.get("source", ""))))
    return {
        k: Range(min(x for x, _ in vs), max(x for x, _ in vs), tuple(dict.fromkeys(s for _, s in vs)))
        for k, vs in values.items()
    }


def load_paper_scores(settings: Any, jobs: list[Any]) -> dict[str, dict[str, Any]]:
    """job id -> the evaluator's scores (store first, else <job dir>/paper_scores.json); unscored jobs left out."""
    from thtui.core.report.scores_section import per_job_scores

    try:
        from thtui.core.scores.paper_store import paper_job_scores
    except ImportError:  # a thtui without the evaluator's store
        return {}
    return per_job_scores(settings, jobs, paper_job_scores)


def _number(data: dict[str, Any] | None, key: str) -> float | None:
    v = (data or {}).get(key)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def value_of(paper: dict[str, Any] | None, offline: dict[str, Any] | None, key: str) -> float | None:
    """A metric of one job: the evaluator's value, else (PSNR/SSIM/LMD) the offline scorer's."""
    v = _number(paper, key)
    if v is None and any(m.key == key and m.by != _EVAL for m in METRICS):
        v = _number(offline, key)
    return v


def _why(*datas: dict[str, Any] | None, key: str) -> str | None:
    for data in datas:
        missing = (data or {}).get("missing")
        if isinstance(missing, dict) and missing.get(key):
            return str(missing[key])
    return None


def reference_run_of(run: Any) -> list[str]:
    """The run's reference videos (empty: not a --reference run)."""
    raw = getattr(run, "raw", None) or {}
    return [str(r) for r in (raw.get("spec") or {}).get("references") or []]


def reference_run(report: Any) -> list[str]:
    return reference_run_of(report.run)


def _cell(
    metric: PaperMetric, jobs: list[Any], scores: dict[str, dict[str, Any]], paper: dict[str, dict[str, Any]]
) -> Cell:
    per_case: dict[int, list[float]] = {}  # repeats of a case are averaged first: n counts cases
    reasons = []
    for j in jobs:
        if not j.ok:
            continue
        offline, evaluated = scores.get(j.job_id), paper.get(j.job_id)
        v = value_of(evaluated, offline, metric.key)
        if v is not None:
            per_case.setdefault(j.case_index, []).append(v)
        elif why := _why(evaluated, None if metric.by == _EVAL else offline, key=metric.key):
            reasons.append(why)
    cases = len({j.case_index for j in jobs})
    if per_case:
        return Cell(statistics.fmean(statistics.fmean(vs) for vs in per_case.values()), len(per_case), cases)
    if not any(j.ok for j in jobs):
        why = "no successful video"
    elif reasons:
        why = reasons[0]
    elif metric.by == _EVAL:
        why = NOT_EVALUATED
    elif not any(j.job_id in scores for j in jobs if j.ok):
        why = "the videos were not scored (thtui score RUN scores them)"
    else:
        why = "not scored against the reference"
    return Cell(None, 0, cases, why)


def build_paper_table(report: Any) -> PaperTable | None:
    """The table for a --reference run, or None for any other run."""
    refs = reference_run(report)
    if not refs:
        return None
    anchors = load_anchors()
    published = [r for r in anchors.get("rows") or [] if isinstance(r, dict)]
    scores = getattr(report, "scores", None) or {}
    paper = getattr(report, "paper_scores", None) or {}
    by_solution: dict[str, list[Any]] = {}
    for r in report.rows:
        by_solution.setdefault(r.job.solution, []).append(r.job)
    rows, shown = [], set()
    for sol, jobs in by_solution.items():
        mine = [p for p in published if sol in (p.get("solutions") or [])]
        method = str(mine[0]["method"]) if mine else None
        shown.update(str(p["method"]) for p in mine)
        cells = {m.key: _cell(m, jobs, scores, paper) for m in METRICS}
        for key in ("fid", "fvd"):
            cells[key] = _set_level(key, cells[key], getattr(report.run, "dir", None), sol, jobs)
        rows.append(SystemRow(sol, cells, method, _ranges(mine)))
    real = [p for p in published if p.get("method") == "Real video"]
    others: dict[str, list[dict[str, Any]]] = {}
    for p in published:
        if p.get("method") != "Real video" and p.get("method") not in shown:
            others.setdefault(str(p.get("method")), []).append(p)
    inputs = (getattr(report.run, "raw", None) or {}).get("inputs") or {}
    records = [r for r in inputs.get("references") or [] if isinstance(r, dict)]
    return PaperTable(
        dataset=str(anchors.get("dataset", "HDTF")),
        references=records or [{"video": r} for r in refs],
        rows=rows,
        real_video=_ranges(real),
        others={m: _ranges(ps) for m, ps in others.items()},
        caveats=[str(c) for c in anchors.get("caveats") or []],
        source_doc=str(anchors.get("source_doc", "")),
    )


# ---- rendering ------------------------------------------------------------------------------------------
def fmt_cell(metric: PaperMetric, cell: Cell) -> str:
    if cell.mean is None:
        return "—"
    if cell.pooled:
        return f"{cell.mean:.{metric.digits}f} (pooled, {cell.pooled}, n={cell.n})"
    return f"{cell.mean:.{metric.digits}f} (n={cell.n})"


def fmt_range(metric: PaperMetric, ranges: dict[str, Range]) -> str:
    r = ranges.get(metric.key)
    return r.text(metric.digits) if r else "·"


def _absent_notes(table: PaperTable) -> list[str]:
    """'system: LSE-C, LSE-D absent: why', one line per (system, reason)."""
    out = []
    for row in table.rows:
        reasons: dict[str, list[str]] = {}
        for m in METRICS:
            c = row.cells[m.key]
            if c.mean is None and c.why:
                reasons.setdefault(c.why, []).append(m.label)
        out += [f"{row.solution}: {', '.join(labels)} absent: {why}" for why, labels in reasons.items()]
        out += [
            f"{row.solution}: {m.label} is {row.cells[m.key].note}" for m in METRICS if row.cells[m.key].note
        ]
    return out


def _src(ranges: dict[str, Range]) -> str:
    return "; ".join(dict.fromkeys(s for r in ranges.values() for s in r.sources))


def grid(table: PaperTable) -> list[tuple[str, str, list[str], str]]:
    """(kind, label, cells, source) per table line: kind "ours" | "published" (beside its system) | "other"."""
    out = []
    for row in table.rows:
        out.append(("ours", f"{row.solution} (ours)", [fmt_cell(m, row.cells[m.key]) for m in METRICS], ""))
        if row.published:
            cells = [fmt_range(m, row.published) for m in METRICS]
            out.append(
                ("published", f"↳ {row.method} (published, {table.dataset})", cells, _src(row.published))
            )
    others = [("Real video", table.real_video)] if table.real_video else []
    for method, ranges in [*others, *table.others.items()]:
        cells = [fmt_range(m, ranges) for m in METRICS]
        out.append(("other", f"{method} (published, {table.dataset})", cells, _src(ranges)))
    return out


def _intro(table: PaperTable) -> str:
    return (
        f"Mean over the {len(table.references)} reference case(s) (n = cases with a value). Beside each "
        f"system: the published {table.dataset} range of the same method ({table.source_doc}, with its sources)"
        "; sanity ranges, not targets."
    )


LEGEND = "↑ higher is better · ↓ lower is better · →0 nearer zero is better · — absent (why below) · · not published."


def _reference_line(r: dict[str, Any]) -> str:
    if "frame_index" not in r:
        return str(r.get("video"))
    return (
        f"{r.get('video')} — portrait: frame {r['frame_index']} ({r.get('width')}x{r.get('height')}), "
        "speech: its audio track"
    )


def _notes(table: PaperTable) -> list[str]:
    return [ALIGNMENT, SET_NOTE, CPBD_NOTE, *_absent_notes(table), *(f"Caveat: {c}" for c in table.caveats)]


def markdown(report: Any) -> list[str]:
    table = build_paper_table(report)
    if table is None:
        return []
    head = ["System", *(f"{m.label} {m.direction}" for m in METRICS), "Source"]
    out = ["## Paper-style table (reference videos)", "", _intro(table), ""]
    out += ["| " + " | ".join(head) + " |", "|---|" + "---:|" * len(METRICS) + "---|"]
    for kind, label, cells, source in grid(table):
        name = f"**{label}**" if kind == "ours" else f"*{label}*" if kind == "other" else label
        out.append("| " + " | ".join([name, *cells, source.replace("|", "/")]) + " |")
    out += ["", LEGEND, "", "References (each one case):", ""]
    out += [f"{k + 1}. {_reference_line(r)}" for k, r in enumerate(table.references)]
    out += ["", *(f"- {n}" for n in _notes(table)), ""]
    return out


def html_section(report: Any) -> str:
    table = build_paper_table(report)
    if table is None:
        return ""
    e = html.escape
    head = "".join(f"<th>{e(m.label)} {e(m.direction)}</th>" for m in METRICS)
    body = []
    for kind, label, cells, source in grid(table):
        name = (
            f"<b>{e(label)}</b>" if kind == "ours" else f"<i>{e(label)}</i>" if kind == "other" else e(label)
        )
        tds = "".join(f'<td class="num">{e(c)}</td>' for c in cells)
        body.append(f"<tr><td>{name}</td>{tds}<td>{e(source)}</td></tr>")
    refs = "".join(f"<li>{e(_reference_line(r))}</li>" for r in table.references)
    items = "".join(f"<li>{e(n)}</li>" for n in _notes(table))
    return (
        f'<h2 id="paper-table">Paper-style table (reference videos)</h2><p>{e(_intro(table))}</p>'
        f"<table><thead><tr><th>System</th>{head}<th>Source</th></tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"<p>{e(LEGEND)}</p><p>References (each one case):</p><ol>{refs}</ol>"
        f'<ul class="how">{items}</ul>'
    )


def json_section(report: Any) -> dict[str, Any] | None:
    table = build_paper_table(report)
    if table is None:
        return None

    def ranges(rs: dict[str, Range]) -> dict[str, Any]:
        return {k: {"lo": r.lo, "hi": r.hi, "sources": list(r.sources)} for k, r in rs.items()}

    return {
        "dataset_of_published": table.dataset,
        "metrics": [asdict(m) for m in METRICS],
        "references": table.references,
        "systems": [
            {
                "solution": row.solution,
                "values": {k: asdict(c) for k, c in row.cells.items()},
                "published_method": row.method,
                "published": ranges(row.published),
            }
            for row in table.rows
        ],
        "published_real_video": ranges(table.real_video),
        "published_other_methods": {m: ranges(rs) for m, rs in table.others.items()},
        "alignment": ALIGNMENT,
        "notes": _notes(table),
        "caveats": table.caveats,
        "published_source": table.source_doc,
    }


def csv_columns(report: Any) -> list[str]:
    """Per-job columns of a --reference run's CSV (the table's means are over these)."""
    if not reference_run(report):
        return []
    return ["reference", *(f"paper_{m.key}" for m in METRICS)]


def csv_values(report: Any, job: Any) -> dict[str, Any]:
    from thtui.core.reference_inputs import reference_for

    raw = getattr(report.run, "raw", None) or {}
    offline = (getattr(report, "scores", None) or {}).get(job.job_id)
    evaluated = (getattr(report, "paper_scores", None) or {}).get(job.job_id)
    out: dict[str, Any] = {"reference": reference_for(raw, report.run.dir, job.image) or ""}
    for m in METRICS:
        v = value_of(evaluated, offline, m.key) if job.ok else None
        out[f"paper_{m.key}"] = "" if v is None else round(v, 6)
    return out
