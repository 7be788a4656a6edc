"""CPBD in the paper-style table: the offline scorer's value (the evaluator does not compute it), the
published SadTalker number beside it, an absent cell with the offline scorer's reason."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from thtui.core.report import paper_table as pt


def _report(jobs: list[SimpleNamespace], scores: dict) -> SimpleNamespace:
    run = SimpleNamespace(
        raw={"spec": {"references": ["/a.mp4", "/b.mp4"]}, "inputs": {}}, dir=Path("/out/r")
    )
    return SimpleNamespace(
        run=run, rows=[SimpleNamespace(job=j) for j in jobs], scores=scores, paper_scores={}
    )


def _job(job_id: str, solution: str, case: int) -> SimpleNamespace:
    return SimpleNamespace(
        job_id=job_id, solution=solution, case_index=case, ok=True, image=Path(f"/p{case}.png")
    )


def test_cpbd_column_reads_the_offline_scores_beside_the_published_range() -> None:
    cpbd = next(m for m in pt.METRICS if m.key == "cpbd")
    assert (cpbd.label, cpbd.direction) == ("CPBD", "↑")
    jobs = [
        _job("r/sadtalker/0", "sadtalker", 0),
        _job("r/sadtalker/1", "sadtalker", 1),
        _job("r/static/0", "static", 0),
    ]
    scores = {
        "r/sadtalker/0": {"cpbd": 0.30},
        "r/sadtalker/1": {"cpbd": 0.36},
        "r/static/0": {"cpbd": None, "missing": {"cpbd": "no face found in any frame"}},
    }
    sad, static = pt.build_paper_table(_report(jobs, scores)).rows
    assert sad.cells["cpbd"].mean == pytest.approx(0.33) and sad.cells["cpbd"].n == 2
    assert sad.published["cpbd"].text(3) == "0.335"  # SadTalker's own table (anchors.yaml)
    assert static.cells["cpbd"].mean is None and static.cells["cpbd"].why == "no face found in any frame"
    md = "\n".join(pt.markdown(_report(jobs, scores)))
    assert "CPBD ↑" in md and "0.330 (n=2)" in md
    # ours is the face region, the published 0.335 whole frames: the notes say they differ
    note = "CPBD here: the face region (the landmark box grown to whole 64-px tiles"
    assert f"- {note}" in md and "whole grey frames. Not the same measurement" in md
    assert (
        note in pt.html_section(_report(jobs, scores))
        and pt.CPBD_NOTE in pt.json_section(_report(jobs, scores))["notes"]
    )
