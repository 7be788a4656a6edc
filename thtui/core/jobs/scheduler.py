"""Run a matrix of jobs: preflight, TTS once, inputs prepared once per solution and case, then jobs spread
over GPUs (one job per GPU at a time, or with `pack` as many as their VRAM estimates fit; one job per
clone at a time when the manifest says exclusive_cwd), every result stored as it lands, so an
interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from thtui.core import tools
from thtui.core.catalog import Catalog
from thtui.core.config import Settings
from thtui.core.events import EventSink, discard
from thtui.core.jobs import media_glue, run_inputs
from thtui.core.jobs.checks import gpu_warning, preflight
from thtui.core.jobs.events import JobFinished, JobInfo, JobQueued, RunFinished, RunStage, RunStarted
from thtui.core.jobs.gpu_sets import GpuSet, lead_gpu
from thtui.core.jobs.matrix import PlannedJob, build_matrix, copy_prepared, plan_for, prepared_plan
from thtui.core.jobs.pack_dispatch import dispatch_packed, gpu_width
from thtui.core.jobs.proctree import kill_marked
from thtui.core.jobs.queue import JobQueue, cancellable
from thtui.core.jobs.records import RunFiles, read_results
from thtui.core.jobs.runner import JobContext, JobOutcome, duration_tolerance, run_job
from thtui.core.jobs.spec import JobResult, RunError, RunResult, RunSpec
from thtui.core.jobs.vram_fit import refuse_unfittable
from thtui.core.metrics import JobMetrics
from thtui.core.monitor import Monitor, open_backend
from thtui.core.plan import InferencePlan, new_run_id, tools_bin
from thtui.core.scores.pipeline import RunScorer, score_unscored, scoring_enabled, task_for
from thtui.core.store import JobRow, Store
from thtui.core.wording import plural


@dataclass
class _RunContext:
    settings: Settings
    catalog: Catalog
    spec: RunSpec
    run_id: str
    run_dir: Path
    sink: EventSink
    cancel: threading.Event
    monitor: Monitor
    store: Store
    files: RunFiles
    scorer: RunScorer | None = None  # scores each finished video on the CPU (thtui.core.scores.pipeline)
    remote: Callable[[JobContext], JobOutcome] | None = None  # a cluster run: runs a job on a Ray node


def start_run(
    settings: Settings,
    catalog: Catalog,
    spec: RunSpec,
    sink: EventSink = discard,
    cancel: threading.Event | None = None,
    *,
    monitor: Monitor | None = None,
    store: Store | None = None,
    fingerprint: bool = True,
    run_id: str | None = None,
) -> RunResult:
    """Run the matrix of `spec` to the end (or until `cancel` is set) and return its results.

    Blocks; call it from a worker thread. Events go to `sink` from several threads. With `monitor=None`
    a monitor is created for the run and its MonitorSnapshots are forwarded to `sink` too; pass your own
    (already subscribed) monitor to share one with a UI. Raises RunError before anything runs."""
    with _Resources(monitor, store, settings, sink) as (mon, st):
        _preflight(settings, catalog, spec, mon)
        run_id = run_id or new_run_id()
        run_dir = settings.outputs_dir / run_id
        if run_dir.exists():
            raise RunError(f"run {run_id} already exists at {run_dir}; use resume_run")
        inputs = {"images": [str(p.resolve()) for p in spec.images], "audios": [str(p.resolve()) for p in spec.audios],
                  "image": str(spec.images[0].resolve()) if spec.images else None,
                  "videos": [str(p.resolve()) for p in spec.videos], "prompt": spec.prompt,
                  "text": spec.text, "tts": spec.tts if spec.text else None, "voice": spec.voice}  # fmt: skip
        files = RunFiles.create(run_dir, run_id, spec.to_json(), inputs)
        ctx = _RunContext(
            settings, catalog, spec, run_id, run_dir, sink, cancel or threading.Event(), mon, st, files
        )
        fp = _start_fingerprint(ctx) if fingerprint else None
        try:
            return _execute(ctx, finished={}, resumed=False)
        except RunError as exc:  # TTS failed: nothing ran, and run.json says why
            files.update(status="refused", error=str(exc))
            raise
        finally:
            if fp is not None:
                fp.join(timeout=120)


def resume_run(
    settings: Settings,
    catalog: Catalog,
    run_id: str,
    sink: EventSink = discard,
    cancel: threading.Event | None = None,
    *,
    monitor: Monitor | None = None,
    store: Store | None = None,
    retry_failed: bool = False,
) -> RunResult:
    """Continue an interrupted run: jobs that finished (ok, or failed unless `retry_failed`, or cancelled
    on their own by the user) are kept and skipped; the rest run again from a fresh job dir. Processes a
    killed thtui left behind are ended."""
    run_dir = settings.outputs_dir / run_id
    files = RunFiles.load(run_dir)
    if files is None:
        raise RunError(f"no run {run_id!r} under {settings.outputs_dir} (run.json missing)")
    spec = RunSpec.from_json(files.data["spec"])
    with _Resources(monitor, store, settings, sink) as (mon, st):
        _preflight(settings, catalog, spec, mon)
        leftovers = kill_marked(f"{run_id}/", prefix=True)
        keep = ("ok",) if retry_failed else ("ok", "failed")
        finished: dict[str, JobMetrics] = {}
        for job in st.list_jobs(run_id):
            if job.metrics is not None and (job.status in keep or dropped_by_user(job.metrics)):
                finished[job.id] = job.metrics
        if not finished:  # no database record (a copied outputs dir): the files know
            for job_id, rec in read_results(run_dir).items():
                if not isinstance(rec.get("metrics"), dict):
                    continue
                metrics = JobMetrics.from_json(rec["metrics"])
                if rec.get("status") in keep or dropped_by_user(metrics):
                    finished[job_id] = metrics
        files.new_session()
        ctx = _RunContext(
            settings, catalog, spec, run_id, run_dir, sink, cancel or threading.Event(), mon, st, files
        )
        if leftovers:
            sink(
                RunStage(
                    run_id,
                    "preflight",
                    f"ended {plural(len(leftovers), 'process')} left by the interrupted session",
                )
            )
        return _execute(ctx, finished=finished, resumed=True)


def _preflight(settings: Settings, catalog: Catalog, spec: RunSpec, mon: Monitor) -> None:
    if spec.cluster:  # the nodes, not this box, must have the solutions and GPUs (thtui.core.cluster)
        from thtui.core.cluster.head import cluster_preflight

        cluster_preflight(settings, catalog, spec)
        return
    preflight(settings, catalog, spec, mon.backend.device_count())
    refuse_unfittable(catalog, spec, mon.backend.read_devices())  # over every GPU's memory


class _Resources:
    """The monitor and store a run uses: the caller's, or its own (started here, closed at the end)."""

    def __init__(self, monitor: Monitor | None, store: Store | None, settings: Settings, sink: EventSink):
        self.own_monitor = monitor is None
        self.own_store = store is None
        self.monitor = monitor or Monitor(open_backend(), rate_hz=4.0)
        self.store = store or Store(settings.db_path)
        self._unsub = self.monitor.subscribe(sink) if self.own_monitor else None

    def __enter__(self) -> tuple[Monitor, Store]:
        if not self.monitor.running:
            self.monitor.start()
        return self.monitor, self.store

    def __exit__(self, *exc) -> None:
        if self._unsub:
            self._unsub()
        if self.own_monitor:
            self.monitor.close()
        if self.own_store:
            self.store.close()


def _start_fingerprint(ctx: _RunContext) -> threading.Thread | None:
    """Environment fingerprint (thtui.core.report) into run.json, off the critical path."""

    def capture() -> None:
        try:
            from thtui.core.report.fingerprint import capture_fingerprint

            ctx.files.update(fingerprint=capture_fingerprint(ctx.settings, ctx.catalog, ctx.spec.solutions))
        except Exception as exc:  # a missing fingerprint must never fail a run
            ctx.files.update(fingerprint_error=str(exc))

    t = threading.Thread(target=capture, name="thtui-fingerprint", daemon=True)
    t.start()
    return t


def _tts_audio(ctx: _RunContext) -> tuple[Path, ...]:
    spec = ctx.spec
    if spec.references:  # the papers' protocol: each reference's own audio (thtui.core.reference_inputs)
        from thtui.core.reference_inputs import prepare_run_references

        return prepare_run_references(ctx.files, ctx.run_id, spec.references, ctx.sink)
    if not spec.text:
        return tuple(p.resolve() for p in spec.audios)
    ctx.sink(RunStage(ctx.run_id, "tts", f"{spec.tts}: synthesising {len(spec.text)} characters"))
    try:
        res = media_glue.synthesize(ctx.settings, spec.text, spec.tts, spec.voice)
    except Exception as exc:
        raise RunError(f"TTS ({spec.tts}) failed: {exc}") from exc
    info = {"backend": res.backend, "voice": res.voice, "path": str(res.path), "duration_s": res.duration_s,
            "rtf": res.rtf, "cached": res.cached}  # fmt: skip
    inputs = {
        **ctx.files.data["inputs"],
        "tts_audio": str(res.path),
        "audio": str(res.path),
        "tts_result": info,
    }
    ctx.files.update(inputs=inputs)
    ctx.sink(RunStage(ctx.run_id, "tts", f"{res.backend} ({res.voice}): {res.duration_s:.2f} s of audio"
                      f"{' (cached)' if res.cached else ''} -> {res.path}"))  # fmt: skip
    return (Path(res.path).resolve(),)


def _execute(ctx: _RunContext, finished: dict[str, JobMetrics], resumed: bool) -> RunResult:
    if ctx.spec.cluster and ctx.remote is None:  # each job runs on a Ray node (thtui.core.cluster.head)
        from thtui.core.cluster.head import ClusterExecutor

        with ClusterExecutor(ctx.spec.cluster, ctx.run_id, ctx.sink, ctx.cancel) as ctx.remote:
            return _execute(ctx, finished, resumed)
    spec, sink = ctx.spec, ctx.sink
    gpus = _gpu_slots(ctx)  # first: its warning must come before anything slow
    audios = _tts_audio(ctx)
    lengths = {a: media_glue.audio_seconds(a) for a in audios}
    ctx.files.update(inputs={**ctx.files.data["inputs"], "audio_seconds": {str(a): s for a, s in lengths.items()},
                             "audio": ctx.files.data["inputs"].get("audio") or str(audios[0])})  # fmt: skip
    jobs = build_matrix(spec, ctx.catalog, ctx.run_id, ctx.run_dir, audios)
    run_inputs.prepare_sources(spec, ctx.catalog, ctx.run_dir, ctx.run_id, sink)  # --video, --prompt
    ctx.store.create_run(ctx.run_id, spec.to_json(), ctx.run_dir, [_row(j) for j in jobs])
    ctx.store.set_run_status(ctx.run_id, "running")
    to_run = [j for j in jobs if j.info.job_id not in finished]
    ctx.files.set_jobs([j.info for j in jobs], {job_id: m.status for job_id, m in finished.items()})
    sink(RunStarted(ctx.run_id, str(ctx.run_dir), tuple(j.info for j in jobs), resumed, tuple(finished)))

    outcomes: dict[str, JobOutcome] = {}
    prepared, prep_errors = _prepare_inputs(ctx, to_run)
    shim = tools.ensure_ffmpeg_shim(tools_bin(ctx.settings))
    if shim is None:
        sink(RunStage(ctx.run_id, "preflight", "no ffmpeg found: jobs that call `ffmpeg` will fail"))
    for j in to_run:
        sink(JobQueued(j.info))
    if scoring_enabled(spec.score):  # its own thread: a video is scored while the GPU runs the next job
        from thtui.core.scores.paper_pipeline import paper_queue  # the evaluator env, when installed

        ctx.scorer = RunScorer(ctx.store, ctx.files, sink, paper=paper_queue(ctx.settings, ctx.cancel))
        earlier = [
            j.info for j in jobs if j.info.job_id in finished and finished[j.info.job_id].status == "ok"
        ]
        score_unscored(ctx.scorer, ctx.store, ctx.run_id, earlier)  # resumed: unscored videos too

    exclusive = {
        j.solution
        for j in to_run
        if j.loaded.solution.kind == "upstream" and j.loaded.solution.infer.exclusive_cwd
    }
    queue = JobQueue(to_run, exclusive if ctx.remote is None else set())  # a node's clone: a Ray resource
    lock = threading.Lock()

    def run(job: PlannedJob, gpu: GpuSet, amend: Callable[[JobMetrics], JobMetrics] | None = None) -> None:
        outcome = _run_one(ctx, job, gpu, prepared, prep_errors, lengths, amend)
        with lock:
            outcomes[job.info.job_id] = outcome

    def worker(gpu: int | None) -> None:
        while not ctx.cancel.is_set() and (job := queue.take()) is not None:
            try:
                run(job, gpu)
            finally:
                queue.done(job)

    # One dispatcher that starts a thread per admitted job: for packing, and for jobs that hold several
    # GPUs together (they wait for N free ones; per-GPU workers could only ever give them one).
    # (A cluster run never: Ray itself gives a multi-GPU job its N GPUs on one node.)
    if ctx.remote is None and (spec.pack or any(gpu_width(j) > 1 for j in to_run)):
        args = (queue, to_run, gpus, ctx.monitor.backend, ctx.sink, ctx.run_id, ctx.cancel, run)
        kwargs = {"pack": spec.pack}
        threads = [
            threading.Thread(target=dispatch_packed, args=args, kwargs=kwargs, name="thtui-pack", daemon=True)
        ]
    else:  # one worker per GPU: one job per GPU at a time
        threads = [
            threading.Thread(target=worker, args=(g,), name=f"thtui-gpu-{g}", daemon=True) for g in gpus
        ]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(timeout=0.2)
    except KeyboardInterrupt:  # called on the main thread: stop the jobs, record the run, then re-raise
        interrupted = True
        ctx.cancel.set()
        queue.close()
        for t in threads:
            t.join()
    else:
        interrupted = False
    finally:
        queue.close()
    if ctx.scorer is not None:  # the run ends after its pending scores, or stores them as missing
        ctx.scorer.close(stopped=interrupted or ctx.cancel.is_set(), run_id=ctx.run_id)

    results = []
    for j in jobs:
        if j.info.job_id in outcomes:
            o = outcomes[j.info.job_id]
            results.append(JobResult(j.info, o.metrics.status, o.metrics, o.result_path))
        elif j.info.job_id in finished:
            m = finished[j.info.job_id]
            path = Path(j.info.job_dir) / "result.mp4"
            results.append(
                JobResult(j.info, m.status, m, str(path) if m.status == "ok" and path.is_file() else None)
            )
        else:
            results.append(JobResult(j.info, "pending", None, None))
    # A job the user cancelled on its own is final (resume leaves it), unless nothing else ran.
    states = {r.status for r in results if not (r.metrics and dropped_by_user(r.metrics))} or {"cancelled"}
    status = (
        "interrupted" if states & {"pending", "cancelled"} else ("failed" if "failed" in states else "done")
    )
    ctx.store.set_run_status(ctx.run_id, status)
    ctx.files.update(status=status, finished_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    tts = ctx.files.data["inputs"].get("tts_result") or {}
    result = RunResult(ctx.run_id, str(ctx.run_dir), status, tuple(results), tuple(finished), tts)
    sink(RunFinished(ctx.run_id, status, result))
    if interrupted:
        raise KeyboardInterrupt
    return result


def dropped_by_user(metrics: JobMetrics) -> bool:
    """Cancelled on its own (cancel_job: the user dropped this job), not stopped with its whole run."""
    return metrics.status == "cancelled" and metrics.extra.get("cancelled_by") == "job"


def _row(j: PlannedJob) -> JobRow:
    i = j.info
    return JobRow(i.job_id, j.seq, i.solution, i.case_index, i.image, i.audio, i.repeat, i.warmup, i.job_dir)


def _gpu_slots(ctx: _RunContext) -> list[int | None]:
    """The GPUs jobs go to (preflight has refused indices this machine does not have)."""
    if ctx.remote is not None:  # a cluster run: one waiting thread per GPU of the cluster; Ray places them
        return [None] * ctx.remote.slots
    backend = ctx.monitor.backend
    count = backend.device_count()
    warning = gpu_warning(ctx.spec, count, backend.error)
    if warning:
        ctx.sink(RunStage(ctx.run_id, "preflight", warning, level="warning"))
    if ctx.spec.gpus:
        return list(ctx.spec.gpus)
    return list(range(count)) or [None]


def _prepare_inputs(ctx: _RunContext, jobs: list[PlannedJob]) -> tuple[dict, dict]:
    """Prepare each solution x case once (into _prepared/). What only one system refuses (no face where
    it needs one, audio over its length limit) fails that system's jobs, not the run."""
    prepared: dict[tuple[str, int], InferencePlan] = {}
    errors: dict[tuple[str, int], tuple[str, str]] = {}
    for j in jobs:
        key = (j.solution, j.case.index)
        if key in prepared or key in errors:
            continue
        plan = prepared_plan(j, ctx.settings, ctx.run_dir)
        ctx.sink(
            RunStage(
                ctx.run_id,
                "inputs",
                f"{j.solution}: preparing {Path(j.info.image).name} + {Path(j.info.audio).name}",
            )
        )
        try:
            if not all(Path(i.dest).is_file() for i in plan.inputs):
                media_glue.prepare(plan, j.loaded)
            prepared[key] = plan
        except Exception as exc:
            failure = "face_not_detected" if getattr(exc, "code", "") == "no_face" else "bad_input"
            errors[key] = (failure, str(exc) or type(exc).__name__)
            ctx.sink(
                RunStage(ctx.run_id, "inputs", f"{j.solution}: input preparation failed: {errors[key][1]}")
            )
    return prepared, errors


def _run_one(ctx: _RunContext, job: PlannedJob, gpu: GpuSet, prepared: dict, prep_errors: dict,
             lengths: dict, amend: Callable[[JobMetrics], JobMetrics] | None = None) -> JobOutcome:  # fmt: skip
    info = job.info
    key = (job.solution, job.case.index)
    if key in prep_errors:
        failure, message = prep_errors[key]
        return _record_unrun(ctx, info, failure, f"input preparation failed: {message}")
    gpu_for_job = gpu if job.loaded.solution.needs_gpu else None
    plan = plan_for(job, ctx.settings, gpu_for_job)
    source = prepared[key]

    def prepare(dest: InferencePlan) -> None:
        if not copy_prepared(source, dest):  # the prepared copy vanished (resume after a cleanup)
            media_glue.prepare(source, job.loaded)
            copy_prepared(source, dest)

    audio_s = media_glue.audio_seconds(Path(next(i.dest for i in source.inputs if i.kind == "audio")))
    if audio_s is None:
        audio_s = lengths.get(Path(info.audio))
    with cancellable(info.job_id, ctx.cancel) as cancel:
        jctx = JobContext(
            job=info, plan=plan, loaded=job.loaded, gpu=gpu_for_job, sink=ctx.sink, monitor=ctx.monitor,
            cancel=cancel, prepare=prepare, audio_s=audio_s, timeout=ctx.spec.timeout, grace_s=ctx.spec.grace_s,
            tolerance_s=duration_tolerance(audio_s, ctx.spec.duration_tolerance_s),
            on_started=lambda pid, ctime: ctx.store.job_started(info.job_id, pid=pid, pid_create_time=ctime,
                                                                gpu=lead_gpu(gpu_for_job)),
            amend=amend,
        )  # fmt: skip
        try:
            outcome = (ctx.remote or run_job)(jctx)
        except Exception as exc:  # a harness error must cost one job, not the run
            return _record_unrun(ctx, info, "crash", f"thtui could not run the job: {exc}")
    ctx.store.job_finished(info.job_id, outcome.metrics, outcome.samples, outcome.log_tail)
    ctx.files.job_finished(info, outcome.metrics, outcome.result_path)
    if ctx.scorer is not None and outcome.result_path and outcome.metrics.status == "ok" and not info.warmup:
        from thtui.core.reference_inputs import reference_for

        ctx.scorer.submit(task_for(ctx.run_id, info.job_id, info.job_dir, outcome.result_path, info.image,
                                   info.audio, reference_for(ctx.files.data, ctx.run_dir, info.image)))  # fmt: skip
    return outcome


def _record_unrun(ctx: _RunContext, info: JobInfo, failure: str, message: str) -> JobOutcome:
    """A job that failed before its process could run (bad input, harness error)."""
    metrics = JobMetrics(
        status="failed", exit_code=None, failure_class=failure, failure_message=message, wall_s=None,
        audio_s=None, rtf=None, vram_peak_mb=None, vram_mean_mb=None, vram_peak_device_mb=None,
        vram_mean_device_mb=None, vram_attribution="none", vram_attribution_note="the job did not run",
        gpu_index=None, gpu_util_mean=None, energy_j=None, energy_method="unavailable", rss_peak_mb=None,
        cpu_time_s=None, sample_rate_hz=ctx.monitor.rate_hz, n_samples=0, warmup=info.warmup, repeat=info.repeat,
    )  # fmt: skip
    job_dir = Path(info.job_dir)
    job_dir.mkdir(parents=True, exist_ok=True)
    with open(job_dir / "log.txt", "a", encoding="utf-8") as log:  # after a harness error, keep what ran
        log.write(f"[thtui] FAILED ({failure}): {message}\n")
    (job_dir / "metrics.json").write_text(
        json.dumps(metrics.to_json(), indent=2, default=str) + "\n", encoding="utf-8"
    )
    outcome = JobOutcome(metrics, (), message, None)
    ctx.store.job_finished(info.job_id, metrics, (), message)
    ctx.files.job_finished(info, metrics, None)
    ctx.sink(JobFinished(info.job_id, "failed", metrics, info.job_dir))
    return outcome
