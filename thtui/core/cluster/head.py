"""The head's side of a cluster run: refuse what no node can serve, then run each job as a Ray task.

The scheduler (thtui.core.jobs.scheduler) stays in charge of the run: matrix, inputs prepared once, one
waiting thread per GPU of the cluster, the store and results.jsonl. For a cluster run it calls a
ClusterExecutor instead of run_job: same JobContext in, same JobOutcome out, so recording, scoring and
resume are the single-box code.

Faults: an attempt whose node (or Ray worker) dies is recorded and the job goes to another node that has
the solution (up to MAX_ATTEMPTS); a job that fails on its own (nonzero exit, OOM, no face) comes back as
a result like any other and is not retried; when no live node offers the solution any more, the job is
stopped as "cancelled by the run", which resume runs again.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from thtui.core.catalog import Catalog
from thtui.core.cluster.connect import (
    ClusterError,
    connect,
    hold,
    list_nodes,
    ray_errors_log,
    release,
    resolve_address,
)
from thtui.core.cluster.lifeline import Lifeline
from thtui.core.cluster.node import NodeReply, NodeRequest, run_on_node
from thtui.core.cluster.node_gpus import NodeGpuWatch
from thtui.core.cluster.relay import Pump, Relay
from thtui.core.cluster.resources import gpus_needed, resource_name, task_options
from thtui.core.config import Settings
from thtui.core.events import EventSink
from thtui.core.jobs.events import JobFinished, JobLog, RunStage
from thtui.core.jobs.runner import JobContext, JobOutcome
from thtui.core.jobs.spec import RunError, RunSpec
from thtui.core.metrics import JobMetrics
from thtui.core.wording import plural

MAX_ATTEMPTS = 3  # a job whose node died goes to another node this many times in all
CANCEL_GRACE_S = 30.0  # after the job's own grace: a node that has not answered a cancel is forced
SERVABLE_CHECK_S = 2.0
LOST_CLUSTER = "the head lost the Ray cluster"  # its jobs stop as "cancelled by the run": resume runs them


def cluster_preflight(settings: Settings, catalog: Catalog, spec: RunSpec) -> None:
    """Every problem at once, before anything runs: the single-box checks of names and inputs, then that
    some live node has each solution ready with enough GPUs."""
    from thtui.core.jobs.checks import preflight

    preflight(settings, catalog, spec, 0, local=False)
    try:
        ray = connect(spec.cluster)
    except ClusterError as exc:
        raise RunError(str(exc)) from None
    nodes = [n for n in list_nodes(ray, catalog.names()) if n.alive]
    problems = []
    for name in spec.solutions:
        loaded = catalog.get(name)
        having = [n for n in nodes if name in n.solutions]
        need = gpus_needed(loaded)
        if not having:
            seen = "; ".join(f"{n.name}: {', '.join(n.solutions) or 'none'}" for n in nodes) or "none alive"
            problems.append(f"no node of the cluster at {spec.cluster} has {name} ready (nodes: {seen}); "
                            f"install it on one: thtui cluster setup {name}")  # fmt: skip
        elif need and max(n.gpus for n in having) < need:
            problems.append(f"{name} needs {plural(need, 'GPU')} on one node; the nodes that have it have at "
                            f"most {max(n.gpus for n in having)}")  # fmt: skip
    if problems:
        raise RunError("cannot start the run on the cluster:\n  " + "\n  ".join(problems))


class ClusterExecutor:
    """Runs one job at a time per calling thread on the cluster; the scheduler calls it like run_job."""

    def __init__(self, address: str, run_id: str, sink: EventSink, run_cancel: threading.Event):
        self.address, self.run_id, self.sink, self.run_cancel = address, run_id, sink, run_cancel
        self.slots = 1
        self._inputs: dict[tuple[str, int], dict[str, Any]] = {}
        self._inputs_lock = threading.Lock()
        self._logs: dict[
            str, Path
        ] = {}  # job id -> the head's log.txt, appended live (runs --follow, the TUI)

    def __enter__(self) -> ClusterExecutor:
        try:
            self.ray = ray = connect(self.address)
        except ClusterError as exc:
            raise RunError(str(exc)) from None
        hold()  # released in __exit__: the last run out closes the connection (connect.disconnect)
        try:
            return self._start(ray)
        except BaseException:
            self.__exit__()
            raise

    def _start(self, ray: Any) -> ClusterExecutor:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        here = ray.get_runtime_context().get_node_id()  # the relay stays with the head, whatever nodes die
        actor = ray.remote(num_cpus=0, max_restarts=0)(Relay)
        self.relay = actor.options(
            scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=False)
        ).remote()
        self.task = ray.remote(max_retries=0)(run_on_node)  # retries are ours: a lost attempt is recorded
        nodes = [n for n in list_nodes(ray) if n.alive]
        self.slots = max(1, sum(n.gpus for n in nodes), len(nodes))
        self.pump = Pump(ray, self.relay, self._from_nodes)
        self.gpus = NodeGpuWatch(ray, self.run_id, self.sink).start()  # every node's GPUs, live
        self.lifeline = Lifeline(resolve_address(self.address), self._lost_cluster).start()
        return self

    def __exit__(self, *exc: object) -> None:
        """Ends what __enter__ started, as far as it got (a failure half-way calls it too)."""
        lifeline = getattr(self, "lifeline", None)
        if lifeline is not None:
            lifeline.close()
        lost = lifeline is not None and lifeline.lost.is_set()
        if getattr(self, "gpus", None) is not None:
            self.gpus.close(lost)
        if getattr(self, "pump", None) is not None:
            self.pump.close(flush=not lost)
        if not lost and getattr(self, "relay", None) is not None:
            # with the GCS gone every Ray call blocks; the nodes end what this run left there
            with contextlib.suppress(Exception):  # the cluster is gone: nothing to clean up there
                self.ray.kill(self.relay)
        release()

    def _lost_cluster(self) -> None:
        """The head node's GCS is gone: stop the run now (it is recorded as interrupted, resumable), rather
        than wait in Ray's calls until Ray ends this process. Each node's raylet ends its workers, and the
        jobs' watchdogs their trees, when it loses the GCS in turn."""
        self.sink(RunStage(self.run_id, "cluster", f"{LOST_CLUSTER} at {self.address or 'RAY_ADDRESS'} (its "
                           "head node is gone): stopping the run; finished jobs are stored", level="warning"))  # fmt: skip
        self.run_cancel.set()

    def _from_nodes(self, event: Any) -> None:
        """A node's event: to the run's sink; a finished log line also to the head's log.txt, so followers of
        the job's file see it live (the node's whole log replaces it when the job ends)."""
        log = self._logs.get(getattr(event, "job_id", ""))
        if log is not None and isinstance(event, JobLog) and not event.replace_last:
            with contextlib.suppress(OSError), open(log, "a", encoding="utf-8") as f:
                f.write((f"[thtui] {event.line}" if event.stream == "thtui" else event.line) + "\n")
        self.sink(event)

    # ---- one job ---------------------------------------------------------------------------------------
    def __call__(self, jctx: JobContext) -> JobOutcome:
        job = jctx.job
        if self.lifeline.lost.is_set():
            return self._unserved(jctx, LOST_CLUSTER, [])
        job_dir = Path(job.job_dir)
        if job_dir.exists():  # a resumed job never shows a previous attempt's files
            shutil.rmtree(job_dir)
        job_dir.mkdir(parents=True)
        self._logs[job.job_id] = job_dir / "log.txt"
        lost: list[dict[str, Any]] = []
        request = NodeRequest(self.run_id, job, self._shipped_inputs(jctx), jctx.audio_s, jctx.timeout,
                              jctx.grace_s, jctx.tolerance_s, 1, self.relay)  # fmt: skip
        for attempt in range(1, MAX_ATTEMPTS + 1):
            request = replace(request, attempt=attempt)
            ref = self.task.options(**task_options(jctx.loaded)).remote(request)
            got = self._wait(ref, jctx, attempt)
            if isinstance(got, NodeReply):
                return self._store(jctx, got, lost, attempt)
            if isinstance(got, str):  # cancelled, or nobody left to serve it
                return self._unserved(jctx, got, lost)
            where = self._where(job.job_id, attempt)
            lost.append({"attempt": attempt, **where, "error": _one_line(got)})
            note = (f"attempt {attempt} on node {where.get('node', '?')} was lost ({type(got).__name__}); "
                    + ("running it on another node" if attempt < MAX_ATTEMPTS else "giving up"))  # fmt: skip
            self.sink(JobLog(job.job_id, note, "thtui"))
            log = ray_errors_log()  # Ray's own account of the node's end is kept there, not printed
            self.sink(RunStage(self.run_id, "cluster", f"{job.job_id}: {note}"
                               + (f" (Ray's messages: {log})" if log else ""), level="warning"))  # fmt: skip
        return self._unserved(jctx, f"lost on {plural(len(lost), 'node')}", lost, failed=True)

    def _wait(self, ref: Any, jctx: JobContext, attempt: int) -> NodeReply | str | BaseException:
        ray = self.ray
        cancel_sent: float | None = None
        next_check = time.monotonic() + SERVABLE_CHECK_S
        while True:
            if self.lifeline.lost.is_set():
                return LOST_CLUSTER
            ready, _ = ray.wait([ref], timeout=0.25)
            if ready:
                try:
                    return ray.get(ref)
                except ray.exceptions.TaskCancelledError:
                    return "cancelled"
                except ray.exceptions.RayTaskError as exc:  # the node-side code raised: not a lost node
                    raise RuntimeError(f"on the cluster: {_one_line(exc)}") from None
                except ray.exceptions.RayError as exc:  # node died, worker crashed, object lost
                    return exc
            now = time.monotonic()
            if jctx.cancel.is_set():
                if cancel_sent is None:
                    cancel_sent = now
                    self.relay.cancel.remote(jctx.job.job_id)
                elif now - cancel_sent > jctx.grace_s + CANCEL_GRACE_S:  # the node never answered
                    ray.cancel(ref, force=True)  # its worker dies; the node's watchdog ends the tree
                    cancel_sent = float("inf")
            if now >= next_check and cancel_sent is None:
                next_check = now + SERVABLE_CHECK_S
                if not self._servable(jctx) and self._where(jctx.job.job_id, attempt) == {}:
                    ray.cancel(ref)
                    return f"no live node of the cluster has {jctx.job.solution} ready any more"

    def _servable(self, jctx: JobContext) -> bool:
        name = resource_name(jctx.job.solution)
        try:
            nodes = self.lifeline.call(self.ray.nodes, ())
        except Exception:
            return True  # cannot tell: keep waiting
        return not nodes or any(n["Alive"] and (n.get("Resources") or {}).get(name, 0) > 0 for n in nodes)

    def _where(self, job_id: str, attempt: int) -> dict[str, Any]:
        try:
            where = self.relay.where.remote(job_id, attempt)
            return self.lifeline.call(lambda: self.ray.get(where, timeout=10), {}) or {}
        except Exception:
            return {}

    def _shipped_inputs(self, jctx: JobContext) -> dict[str, Any]:
        """The job's prepared inputs in the object store, put once per solution and case."""
        key = (jctx.job.solution, jctx.job.case_index)
        with self._inputs_lock:
            if key not in self._inputs:
                with tempfile.TemporaryDirectory(prefix="thtui-ship-") as tmp:
                    inputs = [replace(i, dest=str(Path(tmp) / f"{k}-{Path(i.dest).name}"))
                              for k, i in enumerate(jctx.plan.inputs)]  # fmt: skip
                    jctx.prepare(replace(jctx.plan, inputs=inputs))
                    self._inputs[key] = {i.kind: self.ray.put(Path(i.dest).read_bytes()) for i in inputs}
            return self._inputs[key]

    # ---- what comes back -------------------------------------------------------------------------------
    def _store(self, jctx: JobContext, reply: NodeReply, lost: list, attempt: int) -> JobOutcome:
        """The node's files into the head's job dir; metrics say where it ran (and which attempts died)."""
        self.pump.flush()  # the job's last log lines before its end
        self._logs.pop(jctx.job.job_id, None)
        job_dir = Path(jctx.job.job_dir)
        if job_dir.exists():
            shutil.rmtree(job_dir)
        job_dir.mkdir(parents=True)
        extra = dict(reply.metrics.get("extra") or {})
        extra.update(cluster_node=reply.node, cluster_node_id=reply.node_id, cluster_attempt=attempt)
        if lost:
            extra["cluster_lost_attempts"] = lost
        data = {**reply.metrics, "extra": extra}
        if data.get("status") == "cancelled":
            source = getattr(jctx.cancel, "source", None)
            extra["cancelled_by"] = source() if source else "run"
        metrics = JobMetrics.from_json(data)
        for name, content in reply.files.items():
            (job_dir / name).write_bytes(content)
        if lost:  # the head's notes first: the node's log starts with this attempt
            notes = "".join(f"[thtui] attempt {a['attempt']} on node {a.get('node', '?')} was lost: {a['error']}\n"
                            for a in lost)  # fmt: skip
            log = job_dir / "log.txt"
            log.write_text(
                notes + (log.read_text(encoding="utf-8") if log.exists() else ""), encoding="utf-8"
            )
        (job_dir / "metrics.json").write_text(json.dumps(metrics.to_json(), indent=2, default=str) + "\n")
        self.sink(JobFinished(jctx.job.job_id, metrics.status, metrics, str(job_dir)))
        result = job_dir / "result.mp4"
        ok = metrics.status == "ok" and result.is_file()
        return JobOutcome(metrics, tuple(reply.samples), reply.log_tail, str(result) if ok else None)

    def _unserved(self, jctx: JobContext, why: str, lost: list, failed: bool = False) -> JobOutcome:
        """No attempt finished: cancelled by the user (or the run), no node left, or lost too often."""
        from thtui.core.jobs.runner import _write_files

        if not self.lifeline.lost.is_set():
            self.pump.flush()
        self._logs.pop(jctx.job.job_id, None)
        source = getattr(jctx.cancel, "source", None)
        by = source() if source and jctx.cancel.is_set() else "run"  # "run": resume runs it again
        status = "failed" if failed else "cancelled"
        metrics = JobMetrics(
            status=status, exit_code=None, failure_class="node_lost" if failed else None,
            failure_message=why, wall_s=None, audio_s=None, rtf=None, vram_peak_mb=None, vram_mean_mb=None,
            vram_peak_device_mb=None, vram_mean_device_mb=None, vram_attribution="none",
            vram_attribution_note="the job did not finish on any node", gpu_index=None, gpu_util_mean=None,
            energy_j=None, energy_method="unavailable", rss_peak_mb=None, cpu_time_s=None, sample_rate_hz=0.0,
            n_samples=0, warmup=jctx.job.warmup, repeat=jctx.job.repeat,
            extra={"cancelled_by": by, **({"cluster_lost_attempts": lost} if lost else {})},
        )  # fmt: skip
        job_dir = Path(jctx.job.job_dir)
        job_dir.mkdir(parents=True, exist_ok=True)
        with open(job_dir / "log.txt", "a", encoding="utf-8") as log:
            for a in lost:
                log.write(
                    f"[thtui] attempt {a['attempt']} on node {a.get('node', '?')} was lost: {a['error']}\n"
                )
            log.write(f"[thtui] {status}: {why}\n")
        _write_files(job_dir, metrics, ())
        if not jctx.cancel.is_set() and not failed:
            self.sink(RunStage(self.run_id, "cluster", f"{jctx.job.job_id}: {why}", level="warning"))
        self.sink(JobFinished(jctx.job.job_id, status, metrics, str(job_dir)))
        return JobOutcome(metrics, (), why, None)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
