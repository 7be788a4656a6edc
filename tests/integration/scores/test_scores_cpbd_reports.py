"""CPBD wherever offline scores are read: SQLite, metrics.json, results.jsonl, every report format with its
direction and method, `report --diff`, `thtui score RUN --json`. A real `static` run whose stored scores
are known values (written through the run scorer's own store_scores)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from scored_runs import static_run_scored

from thtui.core.catalog import Catalog
from thtui.core.config import Settings
from thtui.core.jobs.records import read_results
from thtui.core.report import build_report, render
from thtui.core.report.diff import diff_runs, render_diff
from thtui.core.scores import METRICS
from thtui.core.scores.stored import job_scores
from thtui.core.store import Store


def _static_run(settings: Settings, catalog: Catalog, cpbd: float | None) -> tuple[str, str]:
    data = {k: None for k in METRICS} | {"face_found": 1.0, "cpbd": cpbd, "cpbd_portrait": 0.4199}
    data["missing"] = {} if cpbd is not None else {"cpbd": "no face found in any frame"}
    return static_run_scored(settings, catalog, data)


@pytest.fixture
def scored_run(settings: Settings, catalog: Catalog) -> tuple[str, str]:
    return _static_run(settings, catalog, 0.3412)


def test_cpbd_is_stored_in_sqlite_metrics_json_and_results_jsonl(settings: Settings, scored_run) -> None:
    run_id, job_id = scored_run
    store = Store(settings.db_path)
    try:
        assert job_scores(store, job_id, None)["cpbd"] == 0.3412
    finally:
        store.close()
    run_dir = settings.outputs_dir / run_id
    metrics = json.loads((run_dir / "static" / "metrics.json").read_text())
    assert metrics["scores"]["values"]["cpbd"] == 0.3412
    assert metrics["scores"]["values"]["cpbd_portrait"] == 0.4199
    assert read_results(run_dir)[job_id]["scores"]["values"]["cpbd"] == 0.3412


def test_every_report_format_shows_cpbd_with_direction_and_method(settings: Settings, scored_run) -> None:
    run_id, job_id = scored_run
    report = build_report(settings, run_id, thumbs_per_job=0)
    md = render(report, "md")
    section = md[md.index("## Automatic scores") :]
    assert "CPBD (face) ↑" in section and "| 0.34 |" in section
    assert "CPBD (face) ↑ (0-1): CPBD (Narvekar & Karam 2011" in section
    html = render(report, "html")
    assert "CPBD (face) ↑" in html and "0.34" in html
    data = json.loads(render(report, "json"))
    assert data["scores"]["jobs"][job_id]["values"]["cpbd"] == 0.3412
    assert data["scores"]["metrics"]["cpbd"]["direction"] == "↑"
    assert "64-px tiles" in data["scores"]["metrics"]["cpbd"]["method"]
    row = next(csv.DictReader(io.StringIO(render(report, "csv"))))
    assert row["score_cpbd"] == "0.3412" and row["score_cpbd_portrait"] == "0.4199"


def test_diff_compares_cpbd_and_an_absent_one_says_why(
    settings: Settings, catalog: Catalog, scored_run
) -> None:
    run_a, _ = scored_run
    run_b, _ = _static_run(settings, catalog, 0.2912)
    assert "| static | CPBD (face) ↑ | 0.34 | 0.29 | -0.05 |" in render_diff(
        diff_runs(settings, run_a, run_b)
    )
    run_c, _ = _static_run(settings, catalog, None)
    md = render(build_report(settings, run_c, thumbs_per_job=0), "md")
    assert "cpbd absent: no face found in any frame" in md


def test_score_run_json_rescores_and_carries_cpbd(settings: Settings, scored_run, capsys) -> None:
    from thtui.cli import main

    run_id, job_id = scored_run
    assert main(["score", run_id, "--json"]) == 0  # the real scorer on the static video
    job = json.loads(capsys.readouterr().out)[job_id]
    assert job["status"] == "ok"
    assert 0.0 < job["values"]["cpbd"] < 1.0 and 0.0 < job["values"]["cpbd_portrait"] < 1.0
    assert job["values"]["sharpness_ratio"] is not None and "cpbd" in job["sampling"]
