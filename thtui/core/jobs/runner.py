"""Run one job: spawn the plan's argv in its own session, stream and fold its output, enforce timeout and
cancel on the whole process tree, find/normalise/validate the video, classify failures, write the job's
files (log.txt, metrics.json, samples.csv) and return its metrics.

Timing: wall_s runs from spawn to the root's exit, measured on the monotonic clock by a thread blocked
in wait4 (no polling error). Harness work (preparing dirs, output validation) is outside it.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from thtui.core.catalog import LoadedSolution
from thtui.core.events import EventSink
from thtui.core.jobs import media_glue
from thtui.core.jobs.events import JobFinished, JobInfo, JobLog, JobProgress, JobStarted
from thtui.core.jobs.failures import LogScanner, classify
from thtui.core.jobs.gpu_sets import GpuSet, describe_gpus, gpu_indices, lead_gpu, visible_devices
from thtui.core.jobs.logfold import LineFolder, progress_fraction
from thtui.core.jobs.output import finalize_output, find_output
from thtui.core.jobs.proctree import ProcessTree
from thtui.core.metrics import JobMetrics, real_time_factor
from thtui.core.monitor import JobSample, JobUsageStats, Monitor
from thtui.core.monitor.snapshots import MiB
from thtui.core.plan import InferencePlan


@dataclass
class JobContext:
    job: JobInfo
    plan: InferencePlan
    loaded: LoadedSolution
    gpu: GpuSet  # a multi-GPU job (infer.gpus > 1): all its indices
    sink: EventSink
    monitor: Monitor
    cancel: threading.Event  # this job's cancel (cancel_job) — also set when the run is cancelled
    prepare: Callable[[InferencePlan], None]  # puts the prepared inputs at the plan's dest paths
    audio_s: float | None = None
    timeout: float | None = None
    grace_s: float = 10.0
    tolerance_s: float | None = None
    on_started: Callable[[int, float | None], None] = lambda pid, ctime: None
    # The scheduler's last word on the metrics, called once the process has ended and before anything
    # is written or sent (packing: whether the job shared its GPU).
    amend: Callable[[JobMetrics], JobMetrics] | None = None


@dataclass(frozen=True)
class JobOutcome:
    metrics: JobMetrics
    samples: tuple[JobSample, ...]
    log_tail: str
    result_path: str | None


def duration_tolerance(audio_s: float | None, override: float | None = None) -> float:
    """How far the video's length may stray from the audio's: 0.5 s + 5% (encoders pad the last frame,
    some systems trim a few frames)."""
    if override is not None:
        return override
    return 0.5 + 0.05 * (audio_s or 0.0)


class _LogSink:
    """Both streams go through here: folded lines to events and log.txt, failures scanned, progress parsed.
    A redraw (replace_last) is only passed on when the previous line shown came from the same stream."""

    def __init__(self, ctx: JobContext, log_file, scanner: LogScanner):
        self.ctx = ctx
        self.log = log_file
        self.scanner = scanner
        self.lock = threading.Lock()
        self.last_stream: str | None = None

    def note(self, text: str) -> None:
        with self.lock:
            self.log.write(f"[thtui] {text}\n")
            self.log.flush()
            self.last_stream = "thtui"
        self.ctx.sink(JobLog(self.ctx.job.job_id, text, "thtui"))

    def pump(self, stream_name: str, fd: int) -> None:
        folder = LineFolder()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            updates = folder.feed_bytes(data) if data else folder.flush()
            for u in updates:
                self._emit(stream_name, u.line, u.replace_last, u.final)
            if not data:
                return

    def _emit(self, stream: str, line: str, replace_last: bool, final: bool) -> None:
        job_id = self.ctx.job.job_id
        with self.lock:
            replace = replace_last and self.last_stream == stream
            self.last_stream = stream
            if final:
                self.log.write(line + "\n")
                self.log.flush()  # followers in other processes (runs --follow, the TUI) read this file live
                self.scanner.add(line)
        self.ctx.sink(JobLog(job_id, line, stream, replace_last=replace))
        fraction = progress_fraction(line)
        if fraction is not None:
            self.ctx.sink(JobProgress(job_id, fraction, line))


def _fresh_dir(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def run_job(ctx: JobContext) -> JobOutcome:
    plan, job = ctx.plan, ctx.job
    job_dir, scratch = Path(plan.job_dir), Path(plan.scratch)
    _fresh_dir(job_dir)  # a resumed or repeated job never sees a previous attempt's files
    if scratch != job_dir:
        _fresh_dir(scratch)
    ctx.prepare(plan)
    for d in plan.mkdirs:
        Path(d).mkdir(parents=True, exist_ok=True)
    for f in plan.files:
        Path(f.path).parent.mkdir(parents=True, exist_ok=True)
        Path(f.path).write_text(f.content, encoding="utf-8")

    env = plan.full_env()
    if ctx.gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = visible_devices(ctx.gpu)
    scanner = LogScanner(ctx.loaded.solution.failures)
    log_path = job_dir / "log.txt"
    with open(log_path, "w", encoding="utf-8", errors="replace") as log_file:
        log = _LogSink(ctx, log_file, scanner)
        log.note(f"job {job.job_id} on {describe_gpus(ctx.gpu)}")
        log.note(f"cwd {plan.cwd}")
        log.note("argv " + " ".join(plan.argv))
        outcome = _execute(ctx, env, log, scanner, log_path)
    return outcome


def _execute(
    ctx: JobContext, env: dict[str, str], log: _LogSink, scanner: LogScanner, log_path: Path
) -> JobOutcome:
    plan, job = ctx.plan, ctx.job
    watch = ctx.monitor.watch(job.job_id, ctx.gpu)
    started_epoch = time.time()
    try:
        tree = ProcessTree.spawn(plan.argv, cwd=plan.cwd, env=env, marker=job.job_id)
    except OSError as exc:
        ctx.monitor.unwatch(job.job_id)
        log.note(f"could not start: {exc}")
        scanner.add(str(exc))
        return _finish(
            ctx, log, scanner, None, None, started_epoch, None, f"could not start: {exc}", False, False
        )
    watch.attach(tree)
    try:
        ctime = psutil.Process(tree.pid).create_time()
    except psutil.Error:  # already gone: nothing left to find after a crash of the harness
        ctime = None
    ctx.on_started(tree.pid, ctime)
    ctx.sink(JobStarted(job.job_id, tree.pid, lead_gpu(ctx.gpu), tuple(plan.argv), plan.cwd, str(log_path),
                        gpu_indices(ctx.gpu)))  # fmt: skip

    readers = [
        threading.Thread(
            target=log.pump, args=(name, stream.fileno()), name=f"{name}-{tree.pid}", daemon=True
        )
        for name, stream in (("stdout", tree.popen.stdout), ("stderr", tree.popen.stderr))
    ]
    for r in readers:
        r.start()

    deadline = tree.started_at + ctx.timeout if ctx.timeout else None
    timed_out = cancelled = False
    while tree.wait(timeout=0.1) is None:
        if ctx.cancel.is_set():
            cancelled = True
        elif deadline is not None and time.monotonic() >= deadline:
            timed_out = True
        if cancelled or timed_out:
            why = "cancelled" if cancelled else f"timeout after {ctx.timeout:g} s"
            log.note(f"{why}: SIGTERM to the process tree, SIGKILL after {ctx.grace_s:g} s")
            killed = tree.terminate(ctx.grace_s)
            if killed:
                log.note(f"SIGKILL was needed for pid(s) {killed}")
            break
    info = tree.wait()
    wall = (tree.exited_at or time.monotonic()) - tree.started_at
    leftovers = tree.reap_leftovers(grace=min(ctx.grace_s, 3.0))
    tree.forget()
    if leftovers:
        log.note(f"the job left process(es) {leftovers} running after it exited; ended them")
    for r in readers:
        r.join(timeout=5)
    for stream in (tree.popen.stdout, tree.popen.stderr):
        if stream is not None:
            stream.close()
    stats = ctx.monitor.unwatch(job.job_id)
    rc = info.returncode if info else None
    log.note(f"exit status {rc} after {wall:.2f} s")
    extra = {
        "leftover_pids_killed": leftovers,
        "max_rss_single_process_mb": round((info.max_rss_bytes if info else 0) / MiB, 1),
    }
    return _finish(ctx, log, scanner, info, stats, started_epoch, wall, None, timed_out, cancelled, extra)


def _finish(
    ctx: JobContext,
    log: _LogSink,
    scanner: LogScanner,
    info,
    stats: JobUsageStats | None,
    started_epoch: float,
    wall: float | None,
    start_error: str | None,
    timed_out: bool,
    cancelled: bool,
    extra: dict | None = None,
) -> JobOutcome:
    plan, job = ctx.plan, ctx.job
    job_dir = Path(plan.job_dir)
    extra = dict(extra or {})
    if len(gpu_indices(ctx.gpu)) > 1:  # gpu_index names the first; VRAM and energy are summed over all
        extra["gpu_indices"] = list(gpu_indices(ctx.gpu))
    if "prompt" in plan.values:  # the text prompt this job ran with (infer.prompt or --prompt)
        extra["prompt"] = plan.values["prompt"]
    rc = info.returncode if info else None
    result = job_dir / "result.mp4"
    problem: str | None = start_error
    if problem is None and not (timed_out or cancelled):
        found = find_output(plan, started_epoch)
        if found is None:
            problem = f"no output at {plan.output_path or plan.output_glob}"
        else:
            try:
                log.note(finalize_output(found, result))
                extra["upstream_output"] = str(found)
                tolerance = duration_tolerance(ctx.audio_s, ctx.tolerance_s)
                problem = media_glue.validate_result(result, ctx.audio_s, tolerance)
            except Exception as exc:
                problem = str(exc)
        if problem:
            log.note(f"output check: {problem}")
            extra["output_problem"] = problem
    failure = None if cancelled else classify(returncode=rc if start_error is None else -1, timed_out=timed_out,
                                              output_problem=problem, scanner=scanner)  # fmt: skip
    status = "cancelled" if cancelled else ("ok" if failure is None else "failed")
    if cancelled:
        source = getattr(ctx.cancel, "source", None)
        extra["cancelled_by"] = source() if source else "run"
    if failure:
        log.note(f"FAILED ({failure.failure_class}): {failure.message} [{failure.evidence}]")
    if status != "ok" and result.exists():
        result.unlink()  # a failed job has no result.mp4: nothing downstream may mistake it for one
    if Path(plan.scratch) != job_dir and status == "ok":
        shutil.rmtree(plan.scratch, ignore_errors=True)

    s = stats
    metrics = JobMetrics(
        status=status,
        exit_code=rc,
        failure_class=failure.failure_class if failure else None,
        failure_message=failure.message if failure else ("cancelled" if cancelled else None),
        wall_s=round(wall, 4) if wall is not None else None,
        audio_s=round(ctx.audio_s, 4) if ctx.audio_s else None,
        rtf=_r(real_time_factor(wall, ctx.audio_s), 4),
        vram_peak_mb=_mb(s.vram_peak_job if s else None),
        vram_mean_mb=_mb(s.vram_mean_job if s else None),
        vram_peak_device_mb=_mb(s.vram_peak_device if s else None),
        vram_mean_device_mb=_mb(s.vram_mean_device if s else None),
        vram_attribution=s.attribution if s else "none",
        vram_attribution_note=s.attribution_note if s else "the job never started",
        gpu_index=lead_gpu(ctx.gpu),
        gpu_util_mean=_r(s.gpu_util_mean if s else None, 1),
        energy_j=_r(s.energy_j if s else None, 2),
        energy_method=s.energy_method if s else "unavailable",
        rss_peak_mb=_mb(max(s.rss_peak if s else 0, info.max_rss_bytes if info else 0)) if info else None,
        cpu_time_s=_r(info.cpu_time_s, 3) if info else None,
        sample_rate_hz=ctx.monitor.rate_hz,
        n_samples=s.n_samples if s else 0,
        warmup=job.warmup,
        repeat=job.repeat,
        extra={**extra, "failure_evidence": failure.evidence if failure else None},
    )
    if ctx.amend is not None:
        metrics = ctx.amend(metrics)
    samples = s.samples if s else ()
    _write_files(job_dir, metrics, samples)
    tail = "\n".join(failure.log_tail if failure else tuple(scanner.tail)[-10:])
    ctx.sink(JobFinished(job.job_id, status, metrics, str(job_dir)))
    return JobOutcome(metrics, samples, tail, str(result) if status == "ok" else None)


def _write_files(job_dir: Path, metrics: JobMetrics, samples: tuple[JobSample, ...]) -> None:
    tmp = job_dir / "metrics.json.partial"
    tmp.write_text(json.dumps(metrics.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, job_dir / "metrics.json")
    with open(job_dir / "samples.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(JobSample.CSV_FIELDS)
        for row in samples:
            w.writerow(["" if (v := getattr(row, k)) is None else v for k in JobSample.CSV_FIELDS])


def _mb(value: float | None) -> float | None:
    return None if value is None else round(value / MiB, 1)


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
