"""Scores through the real run path: the builtins `jawflap` and `static` run by start_run, each video scored
on the scorer thread as it lands, and the scores found in every place they are read from (scores.json,
metrics.json, results.jsonl, the store); --no-score and a stopped run; `thtui score RUN` rescoring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thtui.core.catalog import Catalog
from thtui.core.config import Settings, repo_root
from thtui.core.events import Collector
from thtui.core.jobs import RunSpec, start_run
from thtui.core.jobs.records import read_results
from thtui.core.monitor import FakeGpuBackend, Monitor
from thtui.core.scores.pipeline import JobScored, RunScorer, ScoreTask
from thtui.core.scores.stored import run_scores
from thtui.core.store import JobRow, Store

ASSETS = repo_root() / "assets"


@pytest.fixture
def scoring(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("THTUI_NO_SCORE")  # tests/conftest.py turns scoring off for every other test
    return settings


def _run(settings: Settings, catalog: Catalog, *solutions: str, **kw):
    events = Collector()
    monitor = Monitor(FakeGpuBackend([]), rate_hz=4.0)
    spec = RunSpec(
        solutions=solutions, images=(ASSETS / "portrait.jpg",), audios=(ASSETS / "speech.wav",), **kw
    )
    try:
        result = start_run(settings, catalog, spec, events, monitor=monitor, fingerprint=False)
    finally:
        monitor.close()
    return result, events


def test_every_video_is_scored_and_stored_everywhere(scoring: Settings, catalog: Catalog) -> None:
    result, events = _run(scoring, catalog, "jawflap", "static")
    assert result.status == "done"
    scored = {e.job_id: e for e in events.of(JobScored)}
    assert len(scored) == 2 and all(e.status == "ok" for e in scored.values())
    flap = next(j for j in result.jobs if j.job.solution == "jawflap")
    still = next(j for j in result.jobs if j.job.solution == "static")

    # scores.json with the per-frame series the TUI plots
    data = json.loads((Path(flap.job.job_dir) / "scores.json").read_text())
    assert len(data["series"]["mouth_open"]) == data["frames"] > 100
    # The jaw-flap is the positive control: synced at offset 0 with a high r; the still portrait has no
    # lip-sync score at all, and says why.
    assert data["lipsync_offset_frames"] == 0 and data["lipsync_corr"] > 0.7
    assert data["identity_distance"] < 0.6
    still_data = json.loads((Path(still.job.job_dir) / "scores.json").read_text())
    assert still_data["lipsync_corr"] is None and "never moves" in still_data["missing"]["lipsync_corr"]
    assert still_data["head_frozen"] is True

    # metrics.json and results.jsonl carry the values (no series)
    metrics = json.loads((Path(flap.job.job_dir) / "metrics.json").read_text())
    assert metrics["scores"]["status"] == "ok" and metrics["scores"]["values"]["lipsync_corr"] > 0.7
    assert metrics["wall_s"] > 0  # the job's own metrics are still there
    rec = read_results(Path(result.run_dir))[flap.job.job_id]
    assert rec["status"] == "ok" and rec["metrics"]["wall_s"] > 0  # the job record is whole (resume reads it)
    assert rec["scores"]["values"]["lipsync_offset_frames"] == 0

    # the store
    store = Store(scoring.db_path)
    try:
        stored = run_scores(store, result.run_id)
    finally:
        store.close()
    assert stored[flap.job.job_id]["lipsync_corr"] == data["lipsync_corr"]
    assert stored[still.job.job_id]["status"] == "ok"


def test_no_score_scores_nothing(scoring: Settings, catalog: Catalog) -> None:
    result, events = _run(scoring, catalog, "static", score=False)
    assert result.status == "done" and not events.of(JobScored)
    job_dir = Path(result.jobs[0].job.job_dir)
    assert not (job_dir / "scores.json").exists()
    assert "scores" not in json.loads((job_dir / "metrics.json").read_text())


def test_a_stopped_run_stores_pending_scores_as_missing_with_the_reason(
    tmp_path: Path, settings: Settings
) -> None:
    started = []

    def slow(task: ScoreTask):
        started.append(task.job_id)
        return "ok", {"lipsync_corr": 0.5}, None

    store = Store(settings.db_path)
    try:
        rows = [
            JobRow(f"r1/x/r{i}", i, "x", 0, "p.png", "a.wav", i, False, str(tmp_path / f"j{i}"))
            for i in range(3)
        ]
        store.create_run("r1", {"solutions": ["x"]}, tmp_path, rows)
        events = Collector()
        scorer = RunScorer(store, None, events, scorer=slow)
        scorer._stop.set()  # as close(stopped=True) does, before the thread reaches the queue
        for i in range(3):
            scorer.submit(ScoreTask(f"r1/x/r{i}", "r1", str(tmp_path / f"j{i}"), "v.mp4", "p.png", None))
        done = scorer.close(stopped=True)
        stored = run_scores(store, "r1")
    finally:
        store.close()
    assert not started and set(done.values()) == {"missing"} and len(done) == 3
    reasons = {e.reason for e in events.of(JobScored)}
    assert len(reasons) == 1 and "thtui score" in reasons.pop()
    assert all(s["status"] == "missing" and s["lipsync_corr"] is None for s in stored.values())


def test_resume_scores_the_videos_a_stopped_run_left_unscored(scoring: Settings, catalog: Catalog) -> None:
    from thtui.core.jobs import resume_run

    result, _ = _run(scoring, catalog, "static", score=False)
    job_id = result.jobs[0].job.job_id
    store = Store(scoring.db_path)
    try:
        assert job_id not in run_scores(store, result.run_id)
        # An interrupted run: resume keeps the finished job and scores its video.
        store.set_run_status(result.run_id, "interrupted")
    finally:
        store.close()
    data = json.loads((Path(result.run_dir) / "run.json").read_text())
    data["spec"]["score"] = True
    (Path(result.run_dir) / "run.json").write_text(json.dumps(data))
    events = Collector()
    monitor = Monitor(FakeGpuBackend([]), rate_hz=4.0)
    try:
        resumed = resume_run(scoring, catalog, result.run_id, events, monitor=monitor)
    finally:
        monitor.close()
    assert resumed.skipped == (job_id,)
    assert [(e.job_id, e.status) for e in events.of(JobScored)] == [(job_id, "ok")]
    assert (Path(result.jobs[0].job.job_dir) / "scores.json").is_file()
