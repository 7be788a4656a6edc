"""SQLite store (WAL) of runs, jobs, metrics, samples and ratings, at settings.db_path.

Write side (the run scheduler): create_run, add_jobs, set_run_status, job_started, job_finished.
Read side (CLI, TUI, reports): list_runs, get_run, list_jobs(run_id), get_job, job_metrics(job_id),
job_samples(job_id), delete_run. The ratings table is created here; thtui.core.ratings reads and writes it.

One connection guarded by a lock serves every thread of a process; WAL lets a second process (the TUI
while `thtui run` works in tmux) read while this one writes. The files under outputs/<run-id>/ are the
other half of a run's record and survive without the database.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thtui.core.config import how_to_change
from thtui.core.metrics import DEFINITIONS, JobMetrics
from thtui.core.monitor.snapshots import JobSample
from thtui.core.paths_check import PathProblem, ensure_dir
from thtui.core.run_state import current_owner

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL,
    status TEXT NOT NULL,               -- running | done | failed | interrupted
    run_dir TEXT NOT NULL,
    spec_json TEXT NOT NULL,
    owner_pid INTEGER,                  -- the thtui process running it (a dead owner: interrupted)
    owner_started REAL,                 -- that process's start time, so a reused pid is not mistaken
    owner_host TEXT                     -- the host it runs on (a pid means nothing on another host)
);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,                -- "<run-id>/<solution>[/<case>][/r<n>|/warmup]"
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,               -- order in the run's matrix
    solution TEXT NOT NULL,
    case_index INTEGER NOT NULL,
    image TEXT NOT NULL,
    audio TEXT NOT NULL,
    repeat INTEGER NOT NULL,
    warmup INTEGER NOT NULL,
    job_dir TEXT NOT NULL,
    status TEXT NOT NULL,               -- pending | running | ok | failed | cancelled
    gpu INTEGER,
    pid INTEGER,
    pid_create_time REAL,
    started_at REAL,
    finished_at REAL,
    exit_code INTEGER,
    failure_class TEXT,
    failure_message TEXT,
    log_tail TEXT,
    metrics_json TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_run ON jobs(run_id, seq);
CREATE TABLE IF NOT EXISTS metrics (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value REAL,
    unit TEXT,
    method TEXT,
    PRIMARY KEY (job_id, name)
);
CREATE TABLE IF NOT EXISTS samples (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    t REAL NOT NULL,
    gpu_util_pct REAL,
    vram_job_mb REAL,
    vram_device_mb REAL,
    power_w REAL,
    rss_mb REAL,
    cpu_pct REAL,
    n_procs INTEGER
);
CREATE INDEX IF NOT EXISTS samples_by_job ON samples(job_id, t);
-- Written by thtui.core.ratings (one row per job, rater and criterion; rating again replaces).
CREATE TABLE IF NOT EXISTS ratings (
    job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    rater TEXT NOT NULL,
    criterion TEXT NOT NULL,            -- lip_sync, head_motion, artifacts, identity
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    note TEXT NOT NULL DEFAULT '',
    created_at REAL,
    PRIMARY KEY (job_id, rater, criterion)
);
-- Written by thtui.core.scores.stored (one row per job; rescoring replaces it).
CREATE TABLE IF NOT EXISTS scores (
    job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL,               -- ok | missing (data_json says why)
    scored_at REAL,
    data_json TEXT NOT NULL             -- thtui.core.scores.VideoScores.to_json(), with series
);
-- Written by thtui.core.scores.paper_store (the evaluator env's LSE-C/D, CSIM, ...; one row per job).
CREATE TABLE IF NOT EXISTS paper_scores (
    job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    run_id TEXT NOT NULL,
    status TEXT NOT NULL,               -- ok | missing (data_json says why)
    scored_at REAL,
    data_json TEXT NOT NULL             -- keys lse_c, lse_d, av_offset, csim, fid, fvd, lpips, psnr, ssim, lmd
);
"""

_UNITS = {
    "wall_s": "s", "audio_s": "s", "rtf": "x", "vram_peak_mb": "MiB", "vram_mean_mb": "MiB",
    "vram_peak_device_mb": "MiB", "vram_mean_device_mb": "MiB", "gpu_util_mean": "%", "energy_j": "J",
    "rss_peak_mb": "MiB", "cpu_time_s": "s",
}  # fmt: skip


@dataclass(frozen=True)
class JobRow:
    """What the scheduler registers for each job of a run's matrix."""

    id: str
    seq: int
    solution: str
    case_index: int
    image: str
    audio: str
    repeat: int
    warmup: bool
    job_dir: str


@dataclass(frozen=True)
class JobRecord:
    id: str
    run_id: str
    seq: int
    solution: str
    case_index: int
    image: str
    audio: str
    repeat: int
    warmup: bool
    job_dir: str
    status: str
    gpu: int | None
    pid: int | None
    pid_create_time: float | None
    started_at: float | None
    finished_at: float | None
    exit_code: int | None
    failure_class: str | None
    failure_message: str | None
    log_tail: str | None
    metrics: JobMetrics | None

    @property
    def finished(self) -> bool:
        return self.status in ("ok", "failed")


@dataclass(frozen=True)
class RunRecord:
    id: str
    created_at: float
    updated_at: float
    finished_at: float | None
    status: str
    run_dir: str
    spec: dict[str, Any]
    counts: dict[str, int]  # job status -> number of jobs
    owner_pid: int | None = None
    owner_started: float | None = None
    owner_host: str | None = None

    @property
    def n_jobs(self) -> int:
        return sum(self.counts.values())

    @property
    def state(self) -> str:
        """running / interrupted / done / failed / missing, decided by thtui.core.run_state (the one place)."""
        from thtui.core.run_state import run_state

        return run_state(self)

    @property
    def stale(self) -> bool:
        """Marked running, but the thtui process that ran it is gone (killed, reboot): resume it."""
        return self.status == "running" and self.state != "running"


def _me() -> tuple[int, float, str]:
    owner = current_owner()
    return owner.pid or os.getpid(), owner.started or 0.0, owner.host or ""


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        # A read-only, missing-parent or file-typed outputs dir is one PathProblem line, not a
        # sqlite3.OperationalError (WAL needs to create -wal/-shm files beside the database even to read).
        ensure_dir(self.path.parent, "outputs dir (it holds the run database)", how_to_change("outputs_dir"))
        try:
            self._db = sqlite3.connect(
                str(self.path), check_same_thread=False, timeout=30, isolation_level=None
            )
            self._setup()
        except sqlite3.DatabaseError as exc:
            raise PathProblem(f"run database {self.path} cannot be opened: {exc}", self.path) from None

    def _setup(self) -> None:
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
            have = {r[1] for r in self._db.execute("PRAGMA table_info(runs)")}
            for column, kind in (("owner_pid", "INTEGER"), ("owner_started", "REAL"), ("owner_host", "TEXT")):
                if column not in have:  # a database from before these columns
                    self._db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @classmethod
    def open(cls, settings) -> Store:
        return cls(settings.db_path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _tx(self, statements: Iterable[tuple[str, tuple]]) -> None:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    self._db.execute(sql, args)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def _rows(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # ---- writes -----------------------------------------------------------------------------------
    def create_run(self, run_id: str, spec: dict[str, Any], run_dir: Path | str, jobs: list[JobRow]) -> None:
        now = time.time()
        stmts = [
            (
                "INSERT OR IGNORE INTO runs(id, created_at, updated_at, status, run_dir, spec_json) "
                "VALUES (?, ?, ?, 'running', ?, ?)",
                (run_id, now, now, str(run_dir), json.dumps(spec, default=str)),
            ),
            ("UPDATE runs SET owner_pid=?, owner_started=?, owner_host=? WHERE id=?", (*_me(), run_id)),
        ]
        stmts += [
            (
                "INSERT OR IGNORE INTO jobs(id, run_id, seq, solution, case_index, image, audio, repeat, warmup, "
                "job_dir, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                (
                    j.id,
                    run_id,
                    j.seq,
                    j.solution,
                    j.case_index,
                    j.image,
                    j.audio,
                    j.repeat,
                    int(j.warmup),
                    j.job_dir,
                ),
            )
            for j in jobs
        ]
        self._tx(stmts)

    def set_run_status(self, run_id: str, status: str) -> None:
        now = time.time()
        finished = now if status in ("done", "failed") else None
        pid, started, host = _me() if status == "running" else (None, None, None)
        self._tx(
            [
                (
                    "UPDATE runs SET status=?, updated_at=?, finished_at=?, owner_pid=?, owner_started=?, "
                    "owner_host=? WHERE id=?",
                    (status, now, finished, pid, started, host, run_id),
                )
            ]
        )

    def job_started(self, job_id: str, *, pid: int, pid_create_time: float | None, gpu: int | None) -> None:
        self._tx(
            [
                (
                    "UPDATE jobs SET status='running', pid=?, pid_create_time=?, gpu=?, started_at=?, "
                    "finished_at=NULL, exit_code=NULL, failure_class=NULL, failure_message=NULL, metrics_json=NULL "
                    "WHERE id=?",
                    (pid, pid_create_time, gpu, time.time(), job_id),
                ),
                ("DELETE FROM samples WHERE job_id=?", (job_id,)),
                ("DELETE FROM metrics WHERE job_id=?", (job_id,)),
            ]
        )

    def set_job_status(self, job_id: str, status: str) -> None:
        self._tx([("UPDATE jobs SET status=? WHERE id=?", (status, job_id))])

    def job_finished(
        self, job_id: str, metrics: JobMetrics, samples: Iterable[JobSample] = (), log_tail: str = ""
    ) -> None:
        stmts: list[tuple[str, tuple]] = [
            (
                "UPDATE jobs SET status=?, finished_at=?, exit_code=?, failure_class=?, failure_message=?, "
                "log_tail=?, metrics_json=? WHERE id=?",
                (
                    metrics.status,
                    time.time(),
                    metrics.exit_code,
                    metrics.failure_class,
                    metrics.failure_message,
                    log_tail,
                    json.dumps(metrics.to_json(), default=str),
                    job_id,
                ),
            ),
            ("DELETE FROM samples WHERE job_id=?", (job_id,)),
            ("DELETE FROM metrics WHERE job_id=?", (job_id,)),
        ]
        methods = {
            "vram_peak_mb": metrics.vram_attribution,
            "vram_mean_mb": metrics.vram_attribution,
            "energy_j": metrics.energy_method,
        }
        for name in _UNITS:
            value = getattr(metrics, name)
            if value is not None:
                stmts.append(
                    (
                        "INSERT INTO metrics(job_id, name, value, unit, method) VALUES (?, ?, ?, ?, ?)",
                        (job_id, name, float(value), _UNITS[name], methods.get(name, DEFINITIONS.get(name))),
                    )
                )
        stmts += [
            (
                "INSERT INTO samples(job_id, t, gpu_util_pct, vram_job_mb, vram_device_mb, power_w, rss_mb, cpu_pct, "
                "n_procs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    s.t,
                    s.gpu_util_pct,
                    s.vram_job_mb,
                    s.vram_device_mb,
                    s.power_w,
                    s.rss_mb,
                    s.cpu_pct,
                    s.n_procs,
                ),
            )
            for s in samples
        ]
        self._tx(stmts)

    def delete_run(self, run_id: str, remove_files: bool = False) -> bool:
        """Forget a run (jobs, metrics, samples, ratings cascade); with remove_files, delete its outputs."""
        run = self.get_run(run_id)
        if run is None:
            return False
        self._tx([("DELETE FROM runs WHERE id=?", (run_id,))])
        if remove_files:
            shutil.rmtree(run.run_dir, ignore_errors=True)
        return True

    # ---- reads ------------------------------------------------------------------------------------
    def _run(self, row: sqlite3.Row) -> RunRecord:
        counts = {
            r["status"]: r["n"]
            for r in self._rows(
                "SELECT status, COUNT(*) AS n FROM jobs WHERE run_id=? GROUP BY status", (row["id"],)
            )
        }
        return RunRecord(
            id=row["id"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            finished_at=row["finished_at"],
            status=row["status"],
            run_dir=row["run_dir"],
            spec=json.loads(row["spec_json"]),
            counts=counts,
            owner_pid=row["owner_pid"],
            owner_started=row["owner_started"],
            owner_host=row["owner_host"],
        )

    def list_runs(self, limit: int | None = None) -> list[RunRecord]:
        """Newest first."""
        sql = "SELECT * FROM runs ORDER BY created_at DESC, id DESC"
        rows = self._rows(sql + (" LIMIT ?" if limit else ""), (limit,) if limit else ())
        return [self._run(r) for r in rows]

    def runs_marked(self, status: str) -> list[RunRecord]:
        """Runs whose recorded status is `status`, newest first (cheap: the TUI asks every second)."""
        rows = self._rows("SELECT * FROM runs WHERE status=? ORDER BY created_at DESC, id DESC", (status,))
        return [self._run(r) for r in rows]

    def get_run(self, run_id: str) -> RunRecord | None:
        rows = self._rows("SELECT * FROM runs WHERE id=?", (run_id,))
        return self._run(rows[0]) if rows else None

    @staticmethod
    def _job(row: sqlite3.Row) -> JobRecord:
        metrics = JobMetrics.from_json(json.loads(row["metrics_json"])) if row["metrics_json"] else None
        data = dict(row)
        data.pop("metrics_json")
        data["warmup"] = bool(data["warmup"])
        return JobRecord(**data, metrics=metrics)

    def list_jobs(self, run_id: str) -> list[JobRecord]:
        return [self._job(r) for r in self._rows("SELECT * FROM jobs WHERE run_id=? ORDER BY seq", (run_id,))]

    def get_job(self, job_id: str) -> JobRecord | None:
        rows = self._rows("SELECT * FROM jobs WHERE id=?", (job_id,))
        return self._job(rows[0]) if rows else None

    def job_metrics(self, job_id: str) -> dict[str, tuple[float, str, str]]:
        """name -> (value, unit, how it was measured)."""
        rows = self._rows("SELECT name, value, unit, method FROM metrics WHERE job_id=?", (job_id,))
        return {r["name"]: (r["value"], r["unit"], r["method"]) for r in rows}

    def job_samples(self, job_id: str) -> list[JobSample]:
        rows = self._rows(
            "SELECT t, gpu_util_pct, vram_job_mb, vram_device_mb, power_w, rss_mb, cpu_pct, n_procs FROM samples "
            "WHERE job_id=? ORDER BY t",
            (job_id,),
        )
        return [JobSample(**dict(r)) for r in rows]
