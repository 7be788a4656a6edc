"""Events of a run, in the order a front end sees them (all frozen dataclasses deriving from Event, sent
to the run's EventSink from worker threads: a front end must hand them to its own loop).

    RunStarted(run_id, run_dir, jobs: tuple[JobInfo], resumed, skipped)
    RunStage(run_id, stage, detail, level) "tts" | "inputs" | "preflight" | "packing" before jobs run;
                                           level "warning" for what the user must see (GPUs asked for
                                           but none visible), else "info"
    JobQueued(job: JobInfo)                once per job that will run (skipped ones are in RunStarted)
    JobStarted(job_id, pid, gpu, argv, cwd, log_path)
    JobLog(job_id, line, stream, replace_last)
        replace_last=True: the line redraws the previous JobLog line of this job (a tqdm bar); the
        runner guarantees that previous line came from the same stream.
    JobProgress(job_id, fraction, text)    fraction in 0..1 parsed from a progress bar, or None
    JobFinished(job_id, status, metrics: JobMetrics, job_dir)   status "ok" | "failed" | "cancelled"
    RunFinished(run_id, status, result)    status "done" | "failed" | "interrupted"
MonitorSnapshot (thtui.core.monitor) also reaches the sink when start_run owns the monitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from thtui.core.events import Event
from thtui.core.metrics import JobMetrics

if TYPE_CHECKING:
    from thtui.core.jobs.spec import RunResult


@dataclass(frozen=True)
class JobInfo:
    job_id: str
    solution: str
    case_index: int
    image: str
    audio: str
    repeat: int
    warmup: bool
    job_dir: str
    video: str | None = None  # the user's video this job's source is (`image` is then its first frame)
    prompt: str | None = None  # the text prompt the job uses (solutions with infer.prompt), else None


@dataclass(frozen=True)
class RunStarted(Event):
    run_id: str
    run_dir: str
    jobs: tuple[JobInfo, ...]
    resumed: bool = False
    skipped: tuple[str, ...] = ()  # job ids already finished in an earlier session


@dataclass(frozen=True)
class RunStage(Event):
    run_id: str
    stage: str
    detail: str
    level: str = "info"  # "warning": the run goes on, but a front end must keep it in view


@dataclass(frozen=True)
class JobQueued(Event):
    job: JobInfo


@dataclass(frozen=True)
class JobStarted(Event):
    job_id: str
    pid: int
    gpu: int | None
    argv: tuple[str, ...]
    cwd: str
    log_path: str
    gpus: tuple[int, ...] = ()  # every GPU the job holds (a multi-GPU job: several; `gpu` is the first)


@dataclass(frozen=True)
class JobLog(Event):
    job_id: str
    line: str
    stream: str  # "stdout" | "stderr" | "thtui" (the harness's own notes)
    replace_last: bool = False


@dataclass(frozen=True)
class JobProgress(Event):
    job_id: str
    fraction: float | None
    text: str


@dataclass(frozen=True)
class JobFinished(Event):
    job_id: str
    status: str
    metrics: JobMetrics
    job_dir: str


@dataclass(frozen=True)
class RunFinished(Event):
    run_id: str
    status: str
    result: RunResult
