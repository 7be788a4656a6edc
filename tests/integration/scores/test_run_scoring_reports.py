"""Scores in every report format, the diff and the headless run output, for a real `static` run whose
stored scores are known values (written through the same store_scores the run's scorer uses, so these
tests need no seconds of scoring)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from scored_runs import static_run_scored

from thtui.core.catalog import Catalog
from thtui.core.config import Settings
from thtui.core.report import build_report, render
from thtui.core.report.diff import diff_runs, render_diff
from thtui.core.scores import METRICS

KNOWN = {"face_found": 0.96, "lipsync_corr": 0.4321, "lipsync_offset_frames": -2, "identity_distance": 0.3456}


def _static_run(settings: Settings, catalog: Catalog, corr: float) -> str:
    data = {k: None for k in METRICS} | KNOWN | {"lipsync_corr": corr}
    data["missing"] = {"blinks_per_min": "the video lasts 0.50 s (< 1 s): timing scores are not computed"}
    return static_run_scored(settings, catalog, data)[0]


@pytest.fixture
def scored_run(settings: Settings, catalog: Catalog) -> str:
    return _static_run(settings, catalog, 0.4321)


def test_markdown_and_html_show_scores_with_direction_and_method(settings: Settings, scored_run: str) -> None:
    report = build_report(settings, scored_run, thumbs_per_job=0)
    md = render(report, "md")
    section = md[md.index("## Automatic scores") :]
    assert "| static | 0.96 | 0.43 | -2 | 0.346 |" in section
    assert "lip-sync r (proxy) ↑" in section and "identity dist. ↓" in section and "→0" in section
    assert "PROXY, not LSE" in section and "iBUG 300-W" in section
    assert "blinks_per_min absent: the video lasts 0.50 s" in section
    html = render(report, "html")
    assert 'id="scores"' in html and "0.346" in html and "lip-sync r (proxy) ↑" in html


def test_json_and_csv_carry_every_score(settings: Settings, scored_run: str) -> None:
    report = build_report(settings, scored_run, thumbs_per_job=0)
    data = json.loads(render(report, "json"))
    job = next(iter(data["scores"]["jobs"].values()))
    assert job["values"]["lipsync_offset_frames"] == -2 and job["values"]["jitter"] is None
    assert data["scores"]["metrics"]["identity_distance"]["direction"] == "↓"
    row = next(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert row["score_lipsync_corr"] == "0.4321" and row["score_jitter"] == ""


def test_diff_compares_scores(settings: Settings, catalog: Catalog, scored_run: str) -> None:
    other = _static_run(settings, catalog, 0.6321)
    md = render_diff(diff_runs(settings, scored_run, other))
    assert "| static | lip-sync r (proxy) ↑ | 0.43 | 0.63 | +0.20 |" in md
    assert diff_runs(settings, scored_run, other).to_dict()["scores_b"]["static"]["lipsync_corr"] == 0.6321


def test_results_jsonl_and_metrics_json_keep_the_job_record(settings: Settings, scored_run: str) -> None:
    from thtui.core.jobs.records import read_results

    run_dir = settings.outputs_dir / scored_run
    rec = read_results(run_dir)[f"{scored_run}/static"]
    assert (
        rec["status"] == "ok"
        and rec["metrics"]["wall_s"] > 0
        and rec["scores"]["values"]["face_found"] == 0.96
    )
    metrics = json.loads((run_dir / "static" / "metrics.json").read_text())
    assert metrics["scores"]["values"]["identity_distance"] == 0.3456 and metrics["status"] == "ok"


def test_runs_json_counts_scored_jobs(settings: Settings, scored_run: str, capsys) -> None:
    from thtui.cli import main

    assert main(["runs", "--json"]) == 0
    runs = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert runs[scored_run]["scored"] == {"ok": 1}
