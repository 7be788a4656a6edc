"""The node side of a cluster job: the same runner as on one box, on this node's install and GPU.

`run_on_node` is what the head's Ray task calls. It loads this node's settings and catalog (its own
THTUI_HOME: clones, envs, weights), plans the job for them, writes the inputs that came through Ray's
object store, runs thtui.core.jobs.runner.run_job (env, argv, process-tree monitoring with this node's
NVML, failure classes) in a scratch dir, and returns the job's files for the head to store. It never
touches the head's SQLite or results.jsonl.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thtui.core.cluster.events import JobPlaced
from thtui.core.cluster.resources import NODE_NAME_ENV
from thtui.core.jobs.events import JobFinished, JobInfo, RunStage

SHIPPED = ("log.txt", "metrics.json", "samples.csv", "result.mp4")
_MONITOR: Any = None  # one per Ray worker process, started on its first job
_MONITOR_LOCK = threading.Lock()


class NodeError(RuntimeError):
    """The node cannot run this job at all (solution unknown here): the head records it, never retries."""


@dataclass(frozen=True)
class NodeRequest:
    run_id: str
    job: JobInfo
    inputs: dict[str, Any]  # input kind -> ObjectRef of its prepared bytes
    audio_s: float | None
    timeout: float | None
    grace_s: float
    tolerance_s: float | None
    attempt: int
    relay: Any  # the run's relay actor handle


@dataclass(frozen=True)
class NodeReply:
    node: str
    node_id: str
    gpu: int | None
    metrics: dict[str, Any]
    samples: tuple
    log_tail: str
    files: dict[str, bytes]  # SHIPPED names that exist -> content


def node_name() -> str:
    return os.environ.get(NODE_NAME_ENV) or socket.gethostname()


def _monitor(ray: Any, node_id: str) -> Any:
    global _MONITOR
    with _MONITOR_LOCK:
        if _MONITOR is None:
            mine = [n for n in ray.nodes() if n.get("NodeID") == node_id]
            gpu_count = int((mine[0].get("Resources") or {}).get("GPU", 0)) if mine else 1
            from thtui.core.cluster.node_gpus import node_backend
            from thtui.core.monitor import Monitor

            _MONITOR = Monitor(node_backend(gpu_count), rate_hz=4.0).start()
        return _MONITOR


def _scratch(settings: Any, job: JobInfo, attempt: int) -> Path:
    rel = job.job_id.replace("/", "__")
    return settings.state_dir / "cluster-jobs" / f"{rel}-a{attempt}-{uuid.uuid4().hex[:6]}"


def run_on_node(request: NodeRequest) -> NodeReply:
    import ray

    from thtui.core import tools
    from thtui.core.catalog import Catalog
    from thtui.core.cluster import watchdog
    from thtui.core.cluster.lifeline import Lifeline
    from thtui.core.cluster.relay import NodeLink
    from thtui.core.config import load_settings
    from thtui.core.jobs.matrix import Case, PlannedJob, plan_for
    from thtui.core.jobs.runner import JobContext, run_job
    from thtui.core.plan import tools_bin

    ctx = ray.get_runtime_context()
    node_id = ctx.get_node_id()
    gpu_ids = [int(g) for g in ctx.get_accelerator_ids().get("GPU", [])]
    gpu = gpu_ids[0] if gpu_ids else None
    name = node_name()
    cancel = threading.Event()
    where = {"node": name, "node_id": node_id, "gpu": gpu, "pid": os.getpid()}
    if ray.get(request.relay.placed.remote(request.job.job_id, request.attempt, where), timeout=30):
        cancel.set()  # cancelled while it waited for a GPU: the runner stops it at once

    settings = load_settings()
    catalog = Catalog.load(settings.solutions_dir)
    tools.ensure_ffmpeg_shim(tools_bin(settings))  # as the scheduler does on one box: `ffmpeg` on PATH
    if request.job.solution not in catalog:
        raise NodeError(
            f"node {name} has no solution {request.job.solution!r} under {settings.solutions_dir}"
        )
    loaded = catalog.get(request.job.solution)
    # The job's GPUs as the runner takes them: one index, or all of them for a multi-GPU job (infer.gpus).
    gpu_set = (tuple(gpu_ids) if len(gpu_ids) > 1 else gpu) if loaded.solution.needs_gpu else None
    scratch = _scratch(settings, request.job, request.attempt)
    info = dataclasses.replace(request.job, job_dir=str(scratch))
    case = Case(info.case_index, Path(info.image), Path(info.audio), "")
    plan = plan_for(PlannedJob(0, info, loaded, case), settings, gpu_set)
    token = f"{request.job.job_id}#{request.attempt}#{uuid.uuid4().hex[:8]}"
    plan = dataclasses.replace(plan, env={**plan.env, watchdog.ATTEMPT_ENV: token})
    data = dict(zip(request.inputs, ray.get(list(request.inputs.values())), strict=True))

    def prepare(dest: Any) -> None:
        for item in dest.inputs:
            target = Path(item.dest)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data[item.kind])

    link = NodeLink(ray, request.relay, request.job.job_id, cancel)
    link.send(JobPlaced(request.job.job_id, name, gpu, request.attempt))
    placed = f"{request.job.job_id}: node {name}, GPU {gpu if gpu is not None else '-'}"
    link.send(
        RunStage(
            request.run_id,
            "cluster",
            placed + (f" (attempt {request.attempt})" if request.attempt > 1 else ""),
        )
    )

    def sink(event: Any) -> None:
        if not isinstance(event, JobFinished):  # the head says when the job is stored, with its own paths
            link.send(event)

    guard = watchdog.start(token)
    # The head's GCS gone (its machine died): nobody will take this job's result, so it stops now rather
    # than when this node's raylet gives up on the GCS a minute later (the head stops the run the same way).
    # Slower to give up than the head: a false alarm here cancels a job the head would have stored.
    lifeline = Lifeline(ctx.gcs_address, cancel.set, refused_after=5, silent_after_s=45.0).start()
    ended = False
    try:
        jctx = JobContext(job=info, plan=plan, loaded=loaded, gpu=gpu_set,
                          sink=sink, monitor=_monitor(ray, node_id), cancel=cancel, prepare=prepare,
                          audio_s=request.audio_s, timeout=request.timeout, grace_s=request.grace_s,
                          tolerance_s=request.tolerance_s)  # fmt: skip
        outcome = run_job(jctx)
        ended = True
    finally:
        lifeline.close()
        watchdog.stop(guard, ended)  # not ended (the task was interrupted): the watchdog ends the tree
        link.close(wait=not lifeline.lost.is_set())
    files = {n: (scratch / n).read_bytes() for n in SHIPPED if (scratch / n).is_file()}
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(plan.scratch, ignore_errors=True)
    return NodeReply(name, node_id, gpu, outcome.metrics.to_json(), outcome.samples, outcome.log_tail, files)
