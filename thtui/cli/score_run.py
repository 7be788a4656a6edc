"""Scores of a run in the terminal: `thtui score RUN|latest` (rescore every successful job of a run), the
scores table under `thtui run`'s result, its --json, and one plain line per scored job in non-terminal
output. The columns, directions and formats come from thtui.core.report.scores_section (one place)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich import box
from rich.table import Table


def job_scores_of(result: Any) -> dict[str, dict[str, Any]]:
    """job id -> scores.json of every job of a RunResult that has one."""
    from thtui.core.scores.stored import job_scores

    out = {}
    for j in result.jobs:
        data = job_scores(None, j.job.job_id, j.job.job_dir)
        if data is not None:
            out[j.job.job_id] = data
    return out


def scores_table(labels: list[tuple[str, str]], scores: dict[str, dict[str, Any]]) -> Table | None:
    from thtui.core.report import scores_section as ss

    rows = ss.rows(labels, scores)
    if not rows:
        return None
    t = Table(title="automatic scores (↑ higher better · ↓ lower · →0 nearer zero)", title_justify="left",
              box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)  # fmt: skip
    t.add_column("job", no_wrap=True)
    for c in ss.COLUMNS:
        t.add_column(ss.header(c, short=True), justify="right")
    for r in rows:
        t.add_row(*r)
    return t


def print_scores(out: Any, result: Any) -> None:
    """Under `thtui run`'s result table: the scores, and why any shown score is absent."""
    scores = job_scores_of(result)
    labels = [(j.job.job_id, j.job.job_id.split("/", 1)[-1]) for j in result.jobs]
    table = scores_table(labels, scores)
    if table is None:
        return
    out.print(table)
    out.print(
        "lip-sync r is a proxy (mouth opening vs loudness), not LSE; offset +d frames = audio late by d/25 s. "
        "How each score is measured: thtui report RUN",
        markup=False,
        soft_wrap=True,
    )


INDENT = " " * len("scored   ")


def scored_line(e: Any, width: int | None = None) -> str:
    """The plain summary of a JobScored event (non-terminal output): lip-sync, identity, face, each with
    why in a few words when absent. Given a width, it breaks between items (never inside one), the
    continuation lines indented under the job id."""
    from thtui.core.report.scores_section import fmt
    from thtui.core.scores.result import brief_reason

    head = f"scored   {e.job_id}:"
    if e.status != "ok":
        return _wrap([head, "no scores", *f"({e.reason})".split(" ")], width)
    v, missing = e.values, getattr(e, "missing", None) or {}

    def absent(label: str, key: str) -> str:
        return f"{label} — ({brief_reason(missing.get(key))})"

    if v.get("lipsync_corr") is None:
        sync = absent("lip-sync", "lipsync_corr")
    else:
        offset = fmt("lipsync_offset_frames", v.get("lipsync_offset_frames"))
        sync = f"lip-sync r {fmt('lipsync_corr', v['lipsync_corr'])} at {offset} frames"
    identity = v.get("identity_distance")
    ident = (
        absent("identity", "identity_distance")
        if identity is None
        else f"identity {fmt('identity_distance', identity)}"
    )
    face = v.get("face_found")
    found = absent("face", "face_found") if face is None else f"face {fmt('face_found', face)}"
    return _wrap([head, f"{sync},", f"{ident},", found], width)


def _wrap(items: list[str], width: int | None) -> str:
    """Items joined by spaces; a new (indented) line where the next item would pass `width`."""
    lines = [items[0]]
    for item in items[1:]:
        if width is not None and len(lines[-1]) + 1 + len(item) > width and lines[-1].strip():
            lines.append(INDENT + item)
        else:
            lines[-1] += " " + item
    return "\n".join(lines)


def score_run_command(settings: Any, given: str | None, as_json: bool) -> int:
    """`thtui score RUN|latest`: score every successful job of the run again and show the table."""
    from thtui.cli.common import CliError, console, print_json, resolve_run_id
    from thtui.core.report.scores_section import load_scores
    from thtui.core.scores.pipeline import rescore_run
    from thtui.core.store import Store

    run_id = resolve_run_id(settings, given)
    if not (settings.outputs_dir / run_id).is_dir():
        store = Store(settings.db_path)
        try:
            known = store.get_run(run_id)
        finally:
            store.close()
        if known is None or not Path(known.run_dir).is_dir():
            raise CliError(f"no run {run_id!r} under {settings.outputs_dir}")
    err = console(stderr=True)
    err.print(f"scoring the videos of run {run_id} on the CPU…", markup=False)
    statuses = rescore_run(
        settings, run_id, sink=lambda e: err.print(scored_line(e, err.width), markup=False, soft_wrap=True)
    )
    if not statuses:
        raise CliError(f"run {run_id} has no successful job to score", code=1)

    class _J:  # what load_scores reads: a job id and its folder
        def __init__(self, job_id: str, job_dir: str) -> None:
            self.job_id, self.job_dir = job_id, job_dir

    store = Store(settings.db_path)
    try:
        jobs = [_J(j.id, j.job_dir) for j in store.list_jobs(run_id) if j.id in statuses]
    finally:
        store.close()
    scores = load_scores(settings, jobs)
    if as_json:
        from thtui.core.scores.pipeline import summary

        print_json({job_id: {"status": d.get("status"), **summary(d)} for job_id, d in scores.items()})
    else:
        table = scores_table([(j.job_id, j.job_id.split("/", 1)[-1]) for j in jobs], scores)
        if table is not None:
            console().print(table)
    return 0 if all(s == "ok" for s in statuses.values()) else 1
