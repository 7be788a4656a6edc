"""Manual ratings: validation, the round trip through the store's ratings table, replacement per rater,
means per solution, and the `thtui rate` CLI twin."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest

from thtui.cli import main
from thtui.core.config import Settings
from thtui.core.ratings import (
    CRITERION_KEYS,
    RatingError,
    rate,
    ratings_for_jobs,
    ratings_for_run,
    validate_scores,
)
from thtui.core.store import JobRow, Store

RUN = "20260102-090000-cd34"


@pytest.fixture
def run_in_store(settings: Settings) -> str:
    run_dir = settings.outputs_dir / RUN
    jobs = [
        JobRow(f"{RUN}/{sol}", i, sol, 0, "/in/p.png", "/in/a.wav", 1, False, str(run_dir / sol))
        for i, sol in enumerate(["alpha", "beta"])
    ]
    store = Store(settings.db_path)
    try:
        store.create_run(RUN, {"solutions": ["alpha", "beta"]}, run_dir, jobs)
    finally:
        store.close()
    return RUN


def test_validate_scores_accepts_cli_spellings_and_rejects_bad_input() -> None:
    assert validate_scores({"lip-sync": 4, "Head motion": 2}) == {"lip_sync": 4, "head_motion": 2}
    for bad in ({"lip_sync": 0}, {"lip_sync": 6}, {"lip_sync": 3.5}, {"lip_sync": True}, {"charm": 3}, {}):
        with pytest.raises(RatingError):
            validate_scores(bad)


def test_rating_round_trip_and_replacement(settings: Settings, run_in_store: str) -> None:
    job = f"{run_in_store}/alpha"
    saved = rate(
        settings, job, "ana", {"lip_sync": 4, "head_motion": 3, "artifacts": 5, "identity": 4}, "stiff head"
    )
    assert saved.scores == {"lip_sync": 4, "head_motion": 3, "artifacts": 5, "identity": 4}
    assert saved.note == "stiff head" and saved.created_at

    # Rating again replaces that rater's given criteria, keeps the others, and updates the note.
    again = rate(settings, job, "ana", {"lip_sync": 2}, "second look")
    assert again.scores == {"lip_sync": 2, "head_motion": 3, "artifacts": 5, "identity": 4}
    assert again.note == "second look"
    with closing(sqlite3.connect(settings.db_path)) as db:  # one row per criterion in the store's table
        rows = db.execute("SELECT criterion, score, note FROM ratings WHERE job_id = ?", (job,)).fetchall()
    assert sorted(r[0] for r in rows) == sorted(CRITERION_KEYS)
    assert all(r[2] == "second look" for r in rows)

    rate(settings, job, "bo", {"lip_sync": 5, "identity": 2})
    rate(settings, f"{run_in_store}/beta", "bo", {"artifacts": 1})
    assert {(r.job_id, r.rater) for r in ratings_for_jobs(settings, [job])} == {(job, "ana"), (job, "bo")}

    summary = ratings_for_run(settings, run_in_store)
    assert list(summary) == ["alpha", "beta"]
    alpha = summary["alpha"]
    assert alpha.means == {"lip_sync": 3.5, "head_motion": 3.0, "artifacts": 5.0, "identity": 3.0}
    assert alpha.counts == {"lip_sync": 2, "head_motion": 1, "artifacts": 1, "identity": 2}
    assert alpha.raters == ("ana", "bo") and alpha.notes == (("ana", "second look"),)
    assert summary["beta"].means["artifacts"] == 1.0 and summary["beta"].means["lip_sync"] is None


def test_unknown_job_and_empty_rater_are_refused(settings: Settings, run_in_store: str) -> None:
    with pytest.raises(RatingError, match="no job"):
        rate(settings, f"{run_in_store}/nosuch", "ana", {"lip_sync": 3})
    with pytest.raises(RatingError, match="rater"):
        rate(settings, f"{run_in_store}/alpha", "  ", {"lip_sync": 3})


def test_rate_cli_twin(settings: Settings, run_in_store: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["rate", run_in_store, "beta", "--lip-sync", "4", "--head-motion", "2", "--artifacts", "3",
            "--identity", "5", "--rater", "cli", "--note", "ok-ish", "--json"]  # fmt: skip
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["beta"]["means"] == {"lip_sync": 4.0, "head_motion": 2.0, "artifacts": 3.0, "identity": 5.0}
    assert out["beta"]["raters"] == ["cli"]

    assert main(["rate", run_in_store]) == 0  # no solution: the table of means
    assert "beta" in capsys.readouterr().out

    assert main(["rate", run_in_store, "beta"]) == 2  # no score given
    assert "give at least one score" in capsys.readouterr().err
    assert main(["rate", run_in_store, "gamma", "--lip-sync", "3"]) == 2
    assert "no job or solution 'gamma'" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # argparse refuses out-of-range scores
        main(["rate", run_in_store, "beta", "--lip-sync", "9"])
