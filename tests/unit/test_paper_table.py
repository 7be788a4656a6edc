"""The paper-style table's data file (anchors.yaml) and its arithmetic: means over cases with n, absent cells
with their reason, the published range beside the system that is the same method, nothing for other runs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from thtui.core.catalog import Catalog
from thtui.core.report import paper_table as pt


def test_anchors_file_is_well_formed_and_names_real_solutions(catalog: Catalog) -> None:
    data = pt.load_anchors()
    keys = {m.key for m in pt.METRICS} | {"cpbd"}
    assert data["dataset"] == "HDTF" and len(data["rows"]) >= 10
    for row in data["rows"]:
        assert row["method"] and row["source"] and row["values"], row
        assert set(row["values"]) <= keys, row
        assert all(name in catalog for name in row["solutions"]), row
    caveats = " ".join(data["caveats"])
    assert "TTS bias" in caveats and "Different data" in caveats and "not targets" in caveats


def _job(job_id: str, solution: str, case: int, ok: bool = True) -> SimpleNamespace:
    return SimpleNamespace(
        job_id=job_id, solution=solution, case_index=case, ok=ok, image=Path(f"/p{case}.png")
    )


def _report(references: list[str], jobs: list[SimpleNamespace], scores: dict, paper: dict) -> SimpleNamespace:
    run = SimpleNamespace(raw={"spec": {"references": references}, "inputs": {}}, dir=Path("/out/run"))
    rows = [SimpleNamespace(job=j) for j in jobs]
    return SimpleNamespace(run=run, rows=rows, scores=scores, paper_scores=paper)


def test_means_over_cases_published_ranges_and_absent_reasons() -> None:
    jobs = [_job("r/sadtalker/0", "sadtalker", 0), _job("r/sadtalker/1", "sadtalker", 1),
            _job("r/sadtalker/2", "sadtalker", 2, ok=False), _job("r/wav2lip/0", "wav2lip", 0, ok=False)]  # fmt: skip
    scores = {"r/sadtalker/0": {"psnr": 30.0, "lmd": 2.0}, "r/sadtalker/1": {"psnr": 20.0, "lmd": None}}
    paper = {
        "r/sadtalker/0": {"lse_c": 7.0, "psnr": 31.0, "missing": {"fid": "needs many videos"}},
        "r/sadtalker/1": {"lse_c": 6.0, "missing": {"fid": "needs many videos"}},
    }
    table = pt.build_paper_table(_report(["/a.mp4", "/b.mp4", "/c.mp4"], jobs, scores, paper))
    assert table is not None
    sad, w2l = table.rows
    assert sad.cells["lse_c"] == pt.Cell(6.5, 2, 3)  # the failed case counts in `cases`, not in n
    assert sad.cells["psnr"].mean == pytest.approx(25.5)  # the evaluator's 31 over the offline 30, then 20
    assert sad.cells["lmd"] == pt.Cell(2.0, 1, 3)

    assert sad.cells["fid"].why == "needs many videos"
    assert sad.cells["csim"].why == pt.NOT_EVALUATED
    assert w2l.cells["psnr"].why == "no successful video"
    assert sad.method == "SadTalker" and sad.published["lse_c"] == pt.Range(
        7.29, 7.326, sad.published["lse_c"].sources
    )
    assert w2l.published["lse_c"].text(3) == "8.650–10.221"
    assert "SadTalker" not in table.others and "Hallo" in table.others  # beside its system, not repeated
    md = "\n".join(pt.markdown(_report(["/a.mp4"], jobs, scores, paper)))
    assert "| **sadtalker (ours)** | 6.500 (n=2) |" in md
    assert "| ↳ SadTalker (published, HDTF) | 7.290–7.326 | 7.772–7.848 |" in md


def test_other_runs_get_no_paper_table() -> None:
    report = _report([], [_job("r/static", "static", 0)], {}, {})
    assert pt.build_paper_table(report) is None
    assert pt.markdown(report) == [] and pt.html_section(report) == "" and pt.json_section(report) is None
    assert pt.csv_columns(report) == []


def test_repeats_of_a_case_are_averaged_before_the_cases() -> None:
    jobs = [_job("r/s/0/r1", "static", 0), _job("r/s/0/r2", "static", 0), _job("r/s/1/r1", "static", 1)]
    scores = {"r/s/0/r1": {"psnr": 30.0}, "r/s/0/r2": {"psnr": 32.0}, "r/s/1/r1": {"psnr": 20.0}}
    (row,) = pt.build_paper_table(_report(["/a.mp4", "/b.mp4"], jobs, scores, {})).rows
    assert row.cells["psnr"] == pt.Cell(25.5, 2, 2)  # (31 + 20) / 2 over 2 cases, not (30 + 32 + 20) / 3
