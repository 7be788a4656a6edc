"""Reading past runs for the Results screen: plain functions over thtui.core.store, run in workers."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from thtui.core.config import Settings
from thtui.core.monitor import JobSample
from thtui.core.store import JobRecord, RunRecord, Store


@dataclass(frozen=True)
class JobDetail:
    job: JobRecord
    metrics: dict[str, tuple[float, str, str]]
    samples: list[JobSample]
    log_tail: str
    result_path: str | None


# Columns of the jobs table: (key, label, value function). Values sort; None sorts last.
def _m(name: str):
    return lambda j: getattr(j.metrics, name, None) if j.metrics else None


JOB_COLUMNS: list[tuple[str, str, Any]] = [
    ("solution", "solution", lambda j: j.solution),
    ("case", "case", lambda j: j.case_index),
    ("rep", "rep", lambda j: -1 if j.warmup else j.repeat),
    ("status", "status", lambda j: j.status),
    ("wall", "wall s", _m("wall_s")),
    # Only a finished job has a real-time factor; a cancelled one's would be partial time / audio.
    ("rtf", "RTF", lambda j: j.metrics.rtf if j.metrics and j.status == "ok" else None),
    ("vram", "VRAM M", _m("vram_peak_mb")),
    ("util", "util%", _m("gpu_util_mean")),
    ("energy", "J", _m("energy_j")),
]


# At 80 columns these add up to the table's width; "solution" grows on wider terminals.
JOB_WIDTHS = {
    "solution": 9,
    "case": 4,
    "rep": 4,
    "status": 9,
    "wall": 6,
    "rtf": 5,
    "vram": 6,
    "util": 4,
    "energy": 6,
}


def sort_jobs(jobs: list[JobRecord], column: str, reverse: bool) -> list[JobRecord]:
    value = next(fn for key, _label, fn in JOB_COLUMNS if key == column)
    present = [j for j in jobs if value(j) is not None]
    missing = [j for j in jobs if value(j) is None]
    return sorted(present, key=lambda j: (value(j), j.seq), reverse=reverse) + missing


class ResultsReader:
    """One store connection for the whole app (opened lazily, from a worker thread)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.settings)
        return self._store

    def runs(self, limit: int = 200) -> list[RunRecord]:
        if not self.settings.db_path.exists():
            return []
        # The status shown is the decided state (thtui.core.run_state): a killed run reads
        # "interrupted", not the "running" its dead owner last wrote; a deleted folder reads "missing".
        return [replace(r, status=r.state) for r in self.store.list_runs(limit=limit)]

    def jobs(self, run_id: str) -> list[JobRecord]:
        return self.store.list_jobs(run_id)

    def detail(self, job_id: str) -> JobDetail | None:
        job = self.store.get_job(job_id)
        if job is None:
            return None
        log_tail = job.log_tail or ""
        log_file = Path(job.job_dir) / "log.txt"
        if log_file.exists():
            from thtui.tui.services import read_tail

            with contextlib.suppress(OSError):
                log_tail = read_tail(log_file, 400)
        result = Path(job.job_dir) / "result.mp4"
        return JobDetail(
            job=job,
            metrics=self.store.job_metrics(job_id),
            samples=self.store.job_samples(job_id),
            log_tail=log_tail,
            result_path=str(result) if result.exists() else None,
        )

    def delete(self, run_id: str) -> bool:
        return self.store.delete_run(run_id, remove_files=True)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
