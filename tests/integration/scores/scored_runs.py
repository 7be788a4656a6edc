"""A real `static` run whose stored scores are known values, written through the run scorer's own
store_scores: report, diff and CLI tests read scores without seconds of scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from thtui.core.catalog import Catalog
from thtui.core.config import Settings, repo_root
from thtui.core.jobs import RunSpec, start_run
from thtui.core.jobs.records import RunFiles
from thtui.core.monitor import FakeGpuBackend, Monitor
from thtui.core.scores.pipeline import store_scores, task_for
from thtui.core.store import Store

ASSETS = repo_root() / "assets"


def static_run_scored(settings: Settings, catalog: Catalog, data: dict[str, Any]) -> tuple[str, str]:
    """(run id, job id) of a one-job `static` run, its scores stored as `data`."""
    monitor = Monitor(FakeGpuBackend([]), rate_hz=4.0)
    spec = RunSpec(solutions=("static",), images=(ASSETS / "portrait.jpg",), audios=(ASSETS / "speech.wav",),
                   score=False)  # fmt: skip
    try:
        result = start_run(settings, catalog, spec, monitor=monitor, fingerprint=False)
    finally:
        monitor.close()
    job = result.jobs[0].job
    store = Store(settings.db_path)
    try:
        task = task_for(
            result.run_id, job.job_id, job.job_dir, result.jobs[0].result_path, job.image, job.audio
        )
        store_scores(task, "ok", data, store, RunFiles.load(Path(result.run_dir)))
    finally:
        store.close()
    return result.run_id, job.job_id
