"""Manual ratings: a person scores each job 1-5 on the four criteria of the original plan, plus a note.

Stored in the runs database (settings.db_path), the store's table `ratings` (job_id, rater, criterion,
score, note, created_at), one row per criterion; rating the same job again as the same rater replaces
that rater's scores for the criteria given (the store itself only appends: `Store.add_rating`).

All scores are "higher is better": for visual artifacts 5 means none, 1 means severe.
"""

from __future__ import annotations

import getpass
import os
import sqlite3
import statistics
import time
from collections.abc import Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from thtui.core.config import Settings


@dataclass(frozen=True)
class Criterion:
    key: str
    label: str
    help: str  # what 1 and 5 mean, for the form and the report legend


CRITERIA: tuple[Criterion, ...] = (
    Criterion(
        "lip_sync", "Lip-sync", "mouth matches the audio: 1 = unrelated, 5 = indistinguishable from real"
    ),
    Criterion(
        "head_motion",
        "Head motion",
        "naturalness of head and face motion: 1 = frozen or jittery, 5 = natural",
    ),
    Criterion(
        "artifacts",
        "Visual artifacts",
        "absence of artifacts: 1 = severe (warping, flicker, seams), 5 = none",
    ),
    Criterion("identity", "Identity", "still looks like the source portrait: 1 = different person, 5 = same"),
)
CRITERION_KEYS = tuple(c.key for c in CRITERIA)
MIN_SCORE, MAX_SCORE = 1, 5


class RatingError(ValueError):
    """Bad criterion, score out of range, empty rater, or unknown job."""


@dataclass(frozen=True)
class Rating:
    job_id: str
    rater: str
    scores: dict[str, int]
    note: str
    created_at: float | None = None


@dataclass(frozen=True)
class SolutionRatings:
    """Ratings of one solution in a run, aggregated over raters (and jobs, when a run repeats one)."""

    solution: str
    job_ids: tuple[str, ...]
    means: dict[str, float | None]  # criterion -> mean score, None when nobody rated it
    counts: dict[str, int]
    raters: tuple[str, ...]
    notes: tuple[tuple[str, str], ...]  # (rater, note), non-empty notes only
    ratings: tuple[Rating, ...] = field(default=())

    @property
    def overall(self) -> float | None:
        vals = [v for v in self.means.values() if v is not None]
        return round(statistics.fmean(vals), 2) if vals else None


def default_rater() -> str:
    try:
        return os.environ.get("THTUI_RATER") or getpass.getuser()
    except Exception:
        return "anonymous"


def normalise_key(name: str) -> str:
    """'lip-sync', 'Lip sync', 'lip_sync' -> 'lip_sync'."""
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def validate_scores(scores: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, value in scores.items():
        key = normalise_key(name)
        if key not in CRITERION_KEYS:
            raise RatingError(f"unknown criterion {name!r}; known: {', '.join(CRITERION_KEYS)}")
        if isinstance(value, bool) or not isinstance(value, int) or not MIN_SCORE <= value <= MAX_SCORE:
            raise RatingError(f"{key}: score must be a whole number {MIN_SCORE}-{MAX_SCORE}, got {value!r}")
        out[key] = value
    if not out:
        raise RatingError("give at least one score")
    return out


def _connect(db_path: Path) -> sqlite3.Connection:
    """A short-lived connection to the runs database; the store creates (or migrates) its schema first,
    so the ratings table is always the store's own."""
    from thtui.core.store import Store  # local: keeps `import thtui.core.ratings` cheap

    Store(db_path).close()
    conn = sqlite3.connect(db_path, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _columns(conn: sqlite3.Connection) -> set[str]:
    return {row[1] for row in conn.execute("PRAGMA table_info(ratings)")}


def _job_exists(conn: sqlite3.Connection, job_id: str) -> bool | None:
    """None when the store has no jobs table (nothing to check against)."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "jobs" not in tables:
        return None
    cols = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
    key = "job_id" if "job_id" in cols else "id"
    return conn.execute(f"SELECT 1 FROM jobs WHERE CAST({key} AS TEXT) = ?", (job_id,)).fetchone() is not None


def rate(
    settings: Settings, job_id: str | int, rater: str | None, scores: Mapping[str, int], note: str = ""
) -> Rating:
    """Record (or replace) `rater`'s scores for one job. `scores` maps criterion keys (see CRITERIA;
    'lip-sync' spellings are accepted) to 1-5; criteria left out keep their earlier score, if any.
    Raises RatingError on bad input or an unknown job."""
    clean = validate_scores(scores)
    rater = (rater or default_rater()).strip()
    if not rater:
        raise RatingError("rater must not be empty")
    job = str(job_id)
    now = time.time()
    with closing(_connect(settings.db_path)) as conn, conn:
        if _job_exists(conn, job) is False:
            raise RatingError(f"no job {job!r} in {settings.db_path}")
        cols = _columns(conn)
        for key, score in clean.items():
            conn.execute(
                "DELETE FROM ratings WHERE job_id = ? AND rater = ? AND criterion = ?", (job, rater, key)
            )
            row = {"job_id": job, "rater": rater, "criterion": key, "score": score, "note": note or ""}
            for stamp in ("created_at", "rated_at", "at"):
                if stamp in cols:
                    row[stamp] = now
            row = {k: v for k, v in row.items() if k in cols}
            conn.execute(
                f"INSERT INTO ratings ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                tuple(row.values()),
            )
        # One note per (job, rater): keep it on every row of that rating so any row answers.
        if "note" in cols:
            conn.execute(
                "UPDATE ratings SET note = ? WHERE job_id = ? AND rater = ?", (note or "", job, rater)
            )
    return next(r for r in ratings_for_jobs(settings, [job]) if r.rater == rater)


def ratings_for_jobs(settings: Settings, job_ids: Iterable[str | int]) -> list[Rating]:
    """Every rating of the given jobs, one Rating per (job, rater)."""
    ids = [str(j) for j in job_ids]
    if not ids or not settings.db_path.exists():
        return []
    with closing(_connect(settings.db_path)) as conn:
        cols = _columns(conn)
        stamp = next((c for c in ("created_at", "rated_at", "at") if c in cols), None)
        note = "note" if "note" in cols else "''"
        rows = conn.execute(
            f"SELECT CAST(job_id AS TEXT), rater, criterion, score, {note}, {stamp or 'NULL'} FROM ratings "
            f"WHERE CAST(job_id AS TEXT) IN ({', '.join('?' for _ in ids)}) ORDER BY job_id, rater",
            ids,
        ).fetchall()
    grouped: dict[tuple[str, str], dict] = {}
    for job, rater, criterion, score, text, at in rows:
        g = grouped.setdefault((job, rater), {"scores": {}, "note": "", "at": None})
        g["scores"][criterion] = int(score)
        g["note"] = text or g["note"]
        g["at"] = max(filter(None, (g["at"], at)), default=None)
    return [Rating(job, rater, g["scores"], g["note"], g["at"]) for (job, rater), g in grouped.items()]


def summarise(solution: str, job_ids: Iterable[str | int], ratings: Iterable[Rating]) -> SolutionRatings:
    ids = tuple(str(j) for j in job_ids)
    mine = [r for r in ratings if r.job_id in ids]
    means: dict[str, float | None] = {}
    counts: dict[str, int] = {}
    for key in CRITERION_KEYS:
        vals = [r.scores[key] for r in mine if key in r.scores]
        means[key] = round(statistics.fmean(vals), 2) if vals else None
        counts[key] = len(vals)
    return SolutionRatings(
        solution=solution,
        job_ids=ids,
        means=means,
        counts=counts,
        raters=tuple(sorted({r.rater for r in mine})),
        notes=tuple((r.rater, r.note) for r in mine if r.note.strip()),
        ratings=tuple(mine),
    )


def ratings_for_run(settings: Settings, run_id: str) -> dict[str, SolutionRatings]:
    """Per solution of the run (in the run's job order): mean score per criterion over all raters."""
    from thtui.core.report.source import load_run  # local import: source pulls in the store

    run = load_run(settings, run_id)
    return ratings_by_solution(settings, ((str(job.job_id), job.solution) for job in run.jobs))


def ratings_by_solution(settings: Settings, jobs: Iterable[tuple[str, str]]) -> dict[str, SolutionRatings]:
    """`jobs`: (job id, solution) pairs, in order. Per solution: mean score per criterion over all raters
    of its jobs (the Results screen passes the jobs it already read from the store)."""
    jobs_by_solution: dict[str, list[str]] = {}
    for job_id, solution in jobs:
        jobs_by_solution.setdefault(solution, []).append(job_id)
    all_ratings = ratings_for_jobs(settings, [j for ids in jobs_by_solution.values() for j in ids])
    return {sol: summarise(sol, ids, all_ratings) for sol, ids in jobs_by_solution.items()}
