"""`pack` runs, and runs with multi-GPU jobs: one dispatcher thread admits jobs as their VRAM estimates fit
(thtui.core.jobs.packing) and starts a thread per admitted job. The JobQueue still decides which jobs may
start at all (one job per clone when the manifest says exclusive_cwd, warm-ups first).

Without `pack` the same dispatcher places jobs one per GPU (every slot of unknown memory takes one job):
that is how a job holding N GPUs (infer.gpus) waits for N free ones together while 1-GPU jobs fill the
rest, without the per-GPU workers of a plain run."""

from __future__ import annotations

import threading
from collections.abc import Callable

from thtui.core.events import EventSink
from thtui.core.jobs.events import RunStage
from thtui.core.jobs.gpu_sets import GpuSet
from thtui.core.jobs.matrix import PlannedJob
from thtui.core.jobs.packing import (
    GiB,
    GpuPacker,
    GpuSlot,
    PackRequest,
    Placement,
    gib,
    mark_shared,
    slots_for,
)
from thtui.core.jobs.queue import JobQueue
from thtui.core.metrics import JobMetrics
from thtui.core.monitor import GpuBackend
from thtui.core.wording import plural

Amend = Callable[[JobMetrics], JobMetrics]


def pack_request(job: PlannedJob) -> PackRequest:
    """The manifest's estimate (GB, counted as GiB: a few % high, which errs towards room). A job that
    needs no GPU occupies none, but still counts towards the jobs per GPU."""
    sol = job.loaded.solution
    need = int(sol.estimates.vram_gb * GiB) if sol.needs_gpu else 0
    return PackRequest(job.info.job_id, need, uses_gpu=sol.needs_gpu, gpus=sol.infer.gpus)


def gpu_width(job: PlannedJob) -> int:
    """How many GPUs the job holds at once (infer.gpus; 1 for a job that needs no GPU)."""
    return pack_request(job).width


def gpu_set(placement: Placement) -> GpuSet:
    """What the runner gets: a plain index for a 1-GPU job (as before multi-GPU jobs), the tuple otherwise."""
    if len(placement.gpus) > 1 and all(g is not None for g in placement.gpus):
        return tuple(g for g in placement.gpus if g is not None)
    return placement.gpu


def packer_for(backend: GpuBackend, gpus: list[int | None]) -> GpuPacker:
    """Slots sized by the backend's total memory per device; a GPU it cannot size takes one job at a time."""
    try:
        readings = backend.read_devices() if any(g is not None for g in gpus) else []
    except Exception:  # unknown memory: each GPU takes one job at a time, as without packing
        readings = []
    return GpuPacker(slots_for(gpus, readings))


def describe_packing(packer: GpuPacker, jobs: list[PlannedJob]) -> str:
    """e.g. 'packing by VRAM estimate: GPU0 80 GiB (headroom 8 GiB, 72 GiB usable); at most 4 jobs per
    GPU; estimates sadtalker 6 GiB, static 0 GiB, infinitetalk 2×80 GiB' (a multi-GPU job: per GPU)."""
    estimates = {j.solution: pack_request(j) for j in jobs}
    listed = ", ".join(
        f"{name} {f'{r.width}×' if r.width > 1 else ''}{gib(r.vram_bytes)} GiB"
        for name, r in estimates.items()
    )
    return f"packing by VRAM estimate: {packer.describe()}" + (f"; estimates {listed}" if listed else "")


def describe_sets(jobs: list[PlannedJob], gpus: list[int | None]) -> str:
    """e.g. 'one job per GPU over 4 GPUs; infinitetalk holds 2 GPUs together per job'."""
    wide = {j.solution: gpu_width(j) for j in jobs if gpu_width(j) > 1}
    held = ", ".join(f"{name} holds {n} GPUs together per job" for name, n in wide.items())
    return f"one job per GPU over {plural(len(dict.fromkeys(gpus)), 'GPU')}" + (f"; {held}" if held else "")


def dispatch_packed(queue: JobQueue, jobs: list[PlannedJob], gpus: list[int | None], backend: GpuBackend,
                    sink: EventSink, run_id: str, cancel: threading.Event,
                    run: Callable[[PlannedJob, GpuSet, Amend], None], *, pack: bool = True) -> None:  # fmt: skip
    """Start every job of `queue` as it fits, each on its own thread running `run(job, gpus, amend)`;
    return once all have ended (or, after `cancel`, once the running ones have). A job's share of its
    GPU(s) is released as soon as its process has ended (in `amend`), and with `pack` `amend` marks its
    metrics with whom it shared the GPU. Without `pack`: one job per GPU, multi-GPU jobs on free sets."""
    if pack:
        packer = packer_for(backend, gpus)
        sink(RunStage(run_id, "packing", describe_packing(packer, jobs)))
    else:
        packer = GpuPacker([GpuSlot(g, None) for g in dict.fromkeys(gpus)])
        sink(RunStage(run_id, "gpus", describe_sets(jobs, gpus)))
    requests = {j.info.job_id: pack_request(j) for j in jobs}
    by_id = {j.info.job_id: j for j in jobs}

    def pick(ready: list[PlannedJob]) -> tuple[PlannedJob, Placement] | None:
        placement = packer.choose([requests[j.info.job_id] for j in ready])
        return None if placement is None else (by_id[placement.job_id], placement)

    def one(job: PlannedJob, placement: Placement) -> None:
        def amend(metrics: JobMetrics) -> JobMetrics:
            sharing = packer.release(job.info.job_id)
            queue.wake()
            return mark_shared(metrics, sharing) if sharing is not None and pack else metrics

        try:
            run(job, gpu_set(placement), amend)
        finally:
            packer.release(job.info.job_id)  # a job that never ran (bad input, harness error)
            queue.done(job)

    threads: list[threading.Thread] = []
    while (got := queue.take_fitting(pick, cancel)) is not None:
        t = threading.Thread(target=one, args=got, name=f"thtui-job-{len(threads)}", daemon=True)
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
