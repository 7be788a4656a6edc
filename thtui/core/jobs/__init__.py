"""Runs: inference jobs in each solution's env, monitored, measured, stored and resumable.

Public API (for the CLI and the TUI; everything here blocks, so call it from a worker thread):

    spec = RunSpec(solutions=("sadtalker", "static"), images=(img,), text="Hello", tts="piper",
                   repeat=3, warmup=True, gpus=(0, 1), timeout=1800, pack=False)
    result = start_run(settings, catalog, spec, sink, cancel, monitor=None, store=None) -> RunResult
    result = resume_run(settings, catalog, run_id, sink, cancel, retry_failed=False) -> RunResult
    cancel_job(job_id) -> bool          # ends one running job's process tree; the run goes on
    cancel.set()                        # (a threading.Event) ends the run: running jobs are cancelled,
                                        # pending ones stay pending for resume_run
    preflight(settings, catalog, spec, gpu_count)   # the checks start_run makes first (RunError)

RunError is raised before anything runs (unknown or uninstalled solution, missing or invalid input,
TTS failure, audio too long for a solution). RunResult: run_id, run_dir, status ("done" | "failed" |
"interrupted"), jobs (JobResult: job, status, metrics: JobMetrics, result_path), summary() with
mean ± σ per solution and case over timed repeats.

Events, all frozen dataclasses (thtui.core.jobs.events), delivered to `sink` from worker threads:
    RunStarted(run_id, run_dir, jobs: tuple[JobInfo], resumed, skipped)
    RunStage(run_id, stage, detail, level)   "tts" | "inputs" | "preflight" | "packing" (RunSpec.pack);
                                             level "warning" (keep it in view) or "info"
    JobQueued(job: JobInfo)
    JobStarted(job_id, pid, gpu, argv, cwd, log_path)
    JobLog(job_id, line, stream, replace_last)   replace_last: redraw the previous line (tqdm bar)
    JobProgress(job_id, fraction, text)
    JobFinished(job_id, status, metrics: JobMetrics, job_dir)
    RunFinished(run_id, status, result: RunResult)
    MonitorSnapshot (thtui.core.monitor) when start_run created the monitor itself.

Files per run under outputs/<run-id>/: run.json (written first), results.jsonl (a line per finished
job), and per job <solution>[/<case>][/rN|/warmup]/ result.mp4, log.txt, metrics.json, samples.csv.
A job id is "<run-id>/<that relative path>".
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Lazy exports (PEP 562): `thtui.core.jobs.proctree` stays importable with psutil alone, e.g. by
# benchmarks/gpu_vram_check.py on a GPU box that has only torch, psutil and nvidia-ml-py.
_EXPORTS = {
    "JobFinished": "events", "JobInfo": "events", "JobLog": "events", "JobProgress": "events",
    "JobQueued": "events", "JobStarted": "events", "RunFinished": "events", "RunStage": "events",
    "RunStarted": "events", "active_jobs": "queue", "cancel_job": "queue", "preflight": "checks",
    "resume_run": "scheduler", "start_run": "scheduler", "JobResult": "spec", "RunError": "spec",
    "RunResult": "spec", "RunSpec": "spec",
}  # fmt: skip

__all__ = [
    "JobFinished",
    "JobInfo",
    "JobLog",
    "JobProgress",
    "JobQueued",
    "JobResult",
    "JobStarted",
    "RunError",
    "RunFinished",
    "RunResult",
    "RunSpec",
    "RunStage",
    "RunStarted",
    "active_jobs",
    "cancel_job",
    "preflight",
    "resume_run",
    "start_run",
]
assert sorted(__all__) == sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from thtui.core.jobs.checks import preflight
    from thtui.core.jobs.events import (
        JobFinished,
        JobInfo,
        JobLog,
        JobProgress,
        JobQueued,
        JobStarted,
        RunFinished,
        RunStage,
        RunStarted,
    )
    from thtui.core.jobs.queue import active_jobs, cancel_job
    from thtui.core.jobs.scheduler import resume_run, start_run
    from thtui.core.jobs.spec import JobResult, RunError, RunResult, RunSpec
