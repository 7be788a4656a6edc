"""FVD in the paper-style table: a column with ↓, the pooled run-level value over the mean of per-video
FVDs when the run has it (as for FID), the per-case mean otherwise, the published HDTF FVD range beside the
same method, and the absent reason (e.g. a reference shorter than one 16-frame clip) in the notes."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from thtui.core.report import paper_table as pt
from thtui.core.scores.paper_set import SET_JSON


def _report(run_dir: Path, jobs: list[SimpleNamespace], paper: dict) -> SimpleNamespace:
    run = SimpleNamespace(raw={"spec": {"references": ["/a.mp4", "/b.mp4"]}, "inputs": {}}, dir=run_dir)
    return SimpleNamespace(
        run=run, rows=[SimpleNamespace(job=j) for j in jobs], scores={}, paper_scores=paper
    )


def _job(job_id: str, solution: str, case: int) -> SimpleNamespace:
    return SimpleNamespace(
        job_id=job_id, solution=solution, case_index=case, ok=True, image=Path(f"/p{case}.png")
    )


SHORT = "shorter than one 16-frame clip: 12 frame pairs with the reference at 25 fps"


def test_fvd_column_pooled_value_published_range_and_reason(tmp_path: Path) -> None:
    jobs = [_job("r/sadtalker/0", "sadtalker", 0), _job("r/sadtalker/1", "sadtalker", 1),
            _job("r/wav2lip/0", "wav2lip", 0), _job("r/static/0", "static", 0)]  # fmt: skip
    paper = {
        "r/sadtalker/0": {"fvd": 400.0, "missing": {}},
        "r/sadtalker/1": {"fvd": 600.0, "missing": {}},
        "r/wav2lip/0": {"fvd": 350.0, "missing": {}},
        "r/static/0": {"fvd": None, "missing": {"fvd": SHORT}},
    }
    (tmp_path / SET_JSON).write_text(
        json.dumps({"fvd": {"sadtalker": {"fvd": 287.25, "fvd_clips": 30, "cases": 2}}})
    )
    report = _report(tmp_path, jobs, paper)
    sad, w2l, static = pt.build_paper_table(report).rows
    assert sad.cells["fvd"] == pt.Cell(287.25, 2, 2, pooled="30 clips")  # not the mean 500 of per-video FVDs
    fallback = "the mean of per-video values, not pooled: the run has no pooled value"
    assert w2l.cells["fvd"].mean == 350.0 and w2l.cells["fvd"].note.startswith(fallback)  # the per-case mean
    assert static.cells["fvd"].mean is None and static.cells["fvd"].why == SHORT
    md = "\n".join(pt.markdown(report))
    header = next(line for line in md.splitlines() if line.startswith("| System"))
    assert "| FID ↓ | FVD ↓ |" in header
    fvd_col = [m.key for m in pt.METRICS].index("fvd") + 1
    ours = next(line for line in md.splitlines() if line.startswith("| **sadtalker (ours)**"))
    assert ours.split(" | ")[fvd_col] == "287.2 (pooled, 30 clips, n=2)"
    w2l_line = next(line for line in md.splitlines() if line.startswith("| **wav2lip (ours)**"))
    assert w2l_line.split(" | ")[fvd_col] == "350.0 (n=1)"  # a mean: no "pooled"
    assert f"wav2lip: FVD is {fallback}" in md  # and the notes say so, with why
    published = next(line for line in md.splitlines() if line.startswith("| ↳ SadTalker (published"))
    assert published.split(" | ")[fvd_col] == "233.7"  # anchors.md §2.1: the Teller table's SadTalker FVD
    assert f"static: FVD absent: {SHORT}" in md
    assert "FID and FVD are set metrics" in md and "16-frame clips (FVD)" in md and 'marked "pooled"' in md
    data = pt.json_section(report)
    assert data["systems"][0]["values"]["fvd"]["mean"] == 287.25
    assert data["systems"][0]["values"]["fvd"]["pooled"] == "30 clips"
    assert any(n.startswith("wav2lip: FVD is the mean of per-video values") for n in data["notes"])
    assert f"wav2lip: FVD is {fallback}" in pt.html_section(report)
