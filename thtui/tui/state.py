"""What the UI knows about work in flight. Plain objects, updated on the UI thread only (by the App's
message handlers) and read by the screens; the core's events are the only input."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from thtui.core.events import Event
from thtui.core.jobs.events import (
    JobFinished,
    JobInfo,
    JobProgress,
    JobQueued,
    JobStarted,
    RunFinished,
    RunStage,
    RunStarted,
)
from thtui.core.setup.events import (
    SetupFinished,
    SetupStarted,
    StepFailed,
    StepFinished,
    StepNote,
    StepProgress,
    StepSkipped,
    StepStarted,
    WaitingForLock,
)


@dataclass
class StepView:
    name: str
    state: str = "pending"  # pending / running / done / skipped / failed
    title: str = ""
    fraction: float | None = None  # 0..1 when the step reports byte progress
    detail: str = ""


@dataclass
class InstallProgress:
    """One install / reinstall / uninstall / verify of one solution, rebuilt from the setup events."""

    solution: str
    action: str
    cancel: threading.Event = field(default_factory=threading.Event)
    steps: list[StepView] = field(default_factory=list)
    log_path: str | None = None
    active: bool = True
    ok: bool | None = None
    error: str = ""
    hint: str = ""
    note: str = ""
    final_state: str | None = None
    refused: bool = False  # never started (a missing tool): "not started", not "failed"

    @property
    def current(self) -> StepView | None:
        running = [s for s in self.steps if s.state == "running"]
        return running[-1] if running else None

    def step(self, name: str) -> StepView:
        for s in self.steps:
            if s.name == name:
                return s
        view = StepView(name)
        self.steps.append(view)
        return view

    def apply(self, event: Event) -> None:
        """Fold one setup event into this view (events arrive in the engine's documented order)."""
        if isinstance(event, SetupStarted):
            self.steps = [StepView(n) for n in event.steps]
            self.log_path = event.log_path
        elif isinstance(event, WaitingForLock):
            self.note = f"waiting for another install ({event.holder})"
        elif isinstance(event, StepStarted):
            view = self.step(event.step)
            view.state, view.title, view.fraction = "running", event.title, None
            self.note = ""
        elif isinstance(event, StepSkipped):
            view = self.step(event.step)
            view.state, view.detail = "skipped", event.reason
        elif isinstance(event, StepProgress):
            view = self.step(event.step)
            view.fraction = (event.done / event.total) if event.total else None
            view.detail = event.item
        elif isinstance(event, StepNote):
            self.note = event.text
        elif isinstance(event, StepFinished):
            view = self.step(event.step)
            view.state, view.fraction, view.detail = "done", 1.0, event.detail or f"{event.seconds:.1f}s"
        elif isinstance(event, StepFailed):
            view = self.step(event.step)
            view.state, view.detail = "failed", event.error
            self.error, self.hint, self.log_path = event.error, event.hint, event.log_path or self.log_path
        elif isinstance(event, SetupFinished):
            self.active, self.ok, self.final_state = False, event.ok, event.state
            self.log_path = event.log_path or self.log_path
            if event.cancelled:
                self.error = self.error or "cancelled"

    def finish(self, ok: bool, detail: str = "") -> None:
        self.active = False
        if self.ok is None:
            self.ok = ok
        if detail and not ok and not self.error:
            self.error = detail

    @property
    def fraction(self) -> float:
        """Overall progress: finished steps plus the running step's own fraction, over all steps."""
        total = len(self.steps) or 1
        done = sum(1 for s in self.steps if s.state in ("done", "skipped"))
        cur = self.current
        partial = (cur.fraction or 0.0) if cur is not None else 0.0
        return min(1.0, (done + partial) / total)

    @property
    def label(self) -> str:
        if self.active:
            if self.action == "uninstall":
                return "removing"
            word = "verifying" if self.action == "verify" else "installing"
            return f"{word} {self.fraction * 100:.0f}%"
        if self.ok:
            return {"verify": "verified", "uninstall": "removed"}.get(self.action, "ready")
        if self.refused:
            return "not started"
        return "cancelled" if self.cancel.is_set() else "failed"


@dataclass
class JobView:
    job_id: str
    run_id: str
    solution: str
    state: str = "queued"  # queued / running / ok / failed / cancelled
    gpu: int | None = None
    gpus: tuple[int, ...] = ()  # every GPU a multi-GPU job holds (`gpu` is the first)
    pid: int | None = None
    started_at: float | None = None  # wall clock of the JobStarted event
    finished_at: float | None = None
    progress: float | None = None
    detail: str = ""
    job_dir: str = ""
    log_path: str | None = None

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    def elapsed(self, now: float) -> float | None:
        if self.started_at is None:
            return None
        return (self.finished_at or now) - self.started_at


@dataclass
class RunView:
    """One run started from this TUI (runs started elsewhere are read from the store)."""

    key: str  # local handle until the core names the run
    cancel: threading.Event = field(default_factory=threading.Event)
    run_id: str | None = None
    run_dir: str | None = None
    stage: str = "starting"
    active: bool = True
    status: str | None = None
    error: str | None = None
    job_ids: list[str] = field(default_factory=list)


class RunTracker:
    """Runs and jobs of this session, rebuilt from the runner's events."""

    def __init__(self) -> None:
        self.runs: dict[str, RunView] = {}
        self.jobs: dict[str, JobView] = {}

    def new_run(self, key: str) -> RunView:
        view = self.runs[key] = RunView(key)
        return view

    @property
    def active_runs(self) -> list[RunView]:
        return [r for r in self.runs.values() if r.active]

    def apply(self, key: str, event: Event) -> JobView | None:
        """Fold one runner event in; returns the job it concerned, if any."""
        run = self.runs[key]
        if isinstance(event, RunStarted):
            run.run_id, run.run_dir, run.stage = event.run_id, event.run_dir, "running"
            for info in event.jobs:
                if info.job_id in event.skipped:
                    continue
                self._add_job(run, info)
            return None
        if isinstance(event, RunStage):
            run.run_id = run.run_id or event.run_id
            run.stage = f"{event.stage}: {event.detail}" if event.detail else event.stage
            return None
        if isinstance(event, JobQueued):
            return self._add_job(run, event.job)
        if isinstance(event, RunFinished):
            run.active, run.status, run.stage = False, event.status, event.status
            for job in self.jobs.values():
                if job.job_id in run.job_ids and job.active:
                    job.state = "cancelled" if event.status == "interrupted" else job.state
            return None
        job = self.jobs.get(getattr(event, "job_id", ""))
        if job is None:
            return None
        if isinstance(event, JobStarted):
            job.state, job.pid, job.gpu, job.started_at, job.log_path = (
                "running",
                event.pid,
                event.gpu,
                event.at,
                event.log_path,
            )
            job.finished_at = None
            job.gpus = event.gpus
        elif isinstance(event, JobProgress):
            job.progress, job.detail = event.fraction, event.text
        elif isinstance(event, JobFinished):
            job.state, job.finished_at, job.job_dir = event.status, event.at, event.job_dir
            job.detail = event.metrics.failure_message or "" if event.metrics else ""
        return job

    def _add_job(self, run: RunView, info: JobInfo) -> JobView:
        job = self.jobs.get(info.job_id)
        if job is None:
            job = self.jobs[info.job_id] = JobView(
                info.job_id, run.run_id or run.key, info.solution, job_dir=info.job_dir
            )
            run.job_ids.append(info.job_id)
        return job

    def finish(self, key: str, error: str | None) -> None:
        run = self.runs[key]
        run.active = False
        if error:
            run.error, run.status = error, run.status or "failed"
        for job_id in run.job_ids:
            job = self.jobs[job_id]
            if job.active:
                job.state = "cancelled" if run.cancel.is_set() else "failed"


HISTORY_POINTS = 240  # samples kept per series: 2 minutes at 2 Hz, wider than any panel


@dataclass
class GpuSeries:
    util: deque[float | None] = field(default_factory=lambda: deque(maxlen=HISTORY_POINTS))
    mem: deque[float | None] = field(default_factory=lambda: deque(maxlen=HISTORY_POINTS))


@dataclass
class MonitorHistory:
    """Rolling per-GPU and host series, fed every snapshot whether or not the Monitor screen is shown."""

    gpus: dict[int, GpuSeries] = field(default_factory=dict)
    cpu: deque[float | None] = field(default_factory=lambda: deque(maxlen=HISTORY_POINTS))
    ram: deque[float | None] = field(default_factory=lambda: deque(maxlen=HISTORY_POINTS))

    def add(self, snapshot: Any) -> None:
        for g in snapshot.gpus:
            series = self.gpus.setdefault(g.index, GpuSeries())
            series.util.append(g.util_pct)
            series.mem.append(g.mem_used)
        self.cpu.append(snapshot.host.cpu_pct)
        self.ram.append(snapshot.host.ram_used)
