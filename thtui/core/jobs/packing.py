"""Packing jobs onto GPUs by their manifests' VRAM estimates (`RunSpec.pack`, `thtui run --pack`).

Pure bookkeeping, no threads of its own (a lock, because job threads release while the dispatcher
chooses): the scheduler asks `choose()` which of the jobs that may start now (matrix order) starts
where, and calls `release()` once a job's process has ended.

Rules:
- a job fits a GPU when the estimates of the jobs there plus its own stay within the GPU's total
  memory minus HEADROOM, and fewer than MAX_JOBS_PER_GPU jobs hold it;
- a job whose estimate exceeds every GPU's usable memory runs alone on the largest one: estimates are
  estimates, and a run must never deadlock on one;
- a GPU whose total memory is unknown (the driver did not say; the CPU slot of a machine without GPU)
  takes one job at a time, as without packing;
- a multi-GPU job (infer.gpus = N, torchrun ranks) holds N slots together, its estimate on each; it is
  over capacity when its estimate exceeds the N-th largest usable memory, and then runs alone on GPUs of
  at least that size (there are always N: the run refuses a job asking for more GPUs than it may use);
- fairness: the earliest job that fits starts first, on the least busy GPU where it fits (so idle GPUs
  fill before any is shared). A job that has to wait holds back one GPU (the one it can use soonest;
  it keeps that choice while it waits; a multi-GPU job holds back N), so later jobs cannot keep filling it and starve it; later jobs
  may still start on GPUs nobody waits for.

Jobs that share a GPU contend for it: `release()` says with whom a job shared, and `mark_shared()`
writes that into its metrics and blanks what cannot be attributed to one job any more.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace

from thtui.core.metrics import JobMetrics
from thtui.core.monitor.snapshots import GpuReading
from thtui.core.wording import plural

GiB = 1024**3

# Memory kept free on every GPU. Estimates are peaks measured once, elsewhere (another driver, torch,
# resolution); each process also carries a CUDA context (~0.3-0.5 GiB) that estimates may leave out,
# the caching allocator fragments, and the display or other users hold memory too. An out-of-memory
# crash wastes a whole job while waiting only costs time, so err on the side of room: 10% scales with
# large boards, the 2 GiB floor covers a couple of contexts on small ones.
HEADROOM_FRACTION = 0.10
HEADROOM_MIN_BYTES = 2 * GiB

# At most this many jobs hold one GPU, whatever their estimates. Jobs estimated at 0 GiB (the builtin
# static baseline, which uses no GPU at all) would otherwise pile up without limit, and every job also
# takes CPU cores, RAM and a share of the GPU's compute: past a few, a run measures contention rather
# than systems. 4 keeps a sweep of small jobs moving on a large board.
MAX_JOBS_PER_GPU = 4


@dataclass(frozen=True)
class GpuSlot:
    gpu: int | None  # CUDA index; None: the machine has no GPU (its one CPU slot)
    total_bytes: int | None  # None: unknown

    @property
    def headroom_bytes(self) -> int | None:
        if self.total_bytes is None:
            return None
        return max(int(self.total_bytes * HEADROOM_FRACTION), HEADROOM_MIN_BYTES)

    @property
    def usable_bytes(self) -> int | None:
        if self.total_bytes is None:
            return None
        return max(0, self.total_bytes - (self.headroom_bytes or 0))

    @property
    def label(self) -> str:
        return "CPU" if self.gpu is None else f"GPU{self.gpu}"


@dataclass(frozen=True)
class PackRequest:
    job_id: str
    vram_bytes: int  # the solution's estimate; 0 for a job that needs no GPU
    uses_gpu: bool = True  # False: it holds a slot (CPU, RAM) but never touches the device
    gpus: int = 1  # GPUs the job holds together (infer.gpus); vram_bytes is needed on each of them

    @property
    def width(self) -> int:
        """Slots the job holds: a job that never touches the device holds one, whatever its manifest says."""
        return max(1, self.gpus) if self.uses_gpu else 1


@dataclass(frozen=True)
class Placement:
    job_id: str
    slot: int  # position in GpuPacker.slots (the first, for a multi-GPU job)
    gpu: int | None
    alone: bool  # over every GPU's capacity, or on a GPU of unknown memory: nothing joins it
    slots: tuple[int, ...] = ()  # every slot the job holds (a multi-GPU job: several)
    gpus: tuple[int | None, ...] = ()  # their CUDA indices, in the order CUDA_VISIBLE_DEVICES lists them


@dataclass(frozen=True)
class Sharing:
    shared_with: tuple[str, ...]  # every job that held the same GPU at some time while this one did
    shared_gpu: bool  # this job used the GPU while another GPU-using job held it too


def slots_for(gpus: Iterable[int | None], readings: Sequence[GpuReading]) -> list[GpuSlot]:
    """One slot per GPU index (duplicates dropped), sized by the readings' total memory."""
    totals = {r.index: r.mem_total for r in readings}
    return [GpuSlot(g, totals.get(g) if g is not None else None) for g in dict.fromkeys(gpus)]


class GpuPacker:
    def __init__(self, slots: Sequence[GpuSlot], max_jobs: int = MAX_JOBS_PER_GPU):
        if not slots:
            raise ValueError("packing needs at least one slot")
        self.slots = tuple(slots)
        self.max_jobs = max_jobs
        self._running: list[dict[str, PackRequest]] = [{} for _ in self.slots]
        self._alone: dict[int, str] = {}  # slot -> the job that holds it alone
        self._where: dict[str, tuple[int, ...]] = {}
        self._partners: dict[str, dict[str, bool]] = {}  # job -> {job it shared with: that one uses the GPU}
        self._reserved: dict[str, tuple[int, ...]] = {}  # waiting job -> the slots it holds back
        # Known usable memory, largest first: a job of N GPUs is over capacity above the N-th of these.
        self._usable_desc = sorted(
            (s.usable_bytes for s in self.slots if s.usable_bytes is not None), reverse=True
        )
        self._lock = threading.Lock()

    # ---- queries -----------------------------------------------------------------------------------
    def running(self, slot: int) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._running[slot])

    def used_bytes(self, slot: int) -> int:
        """The estimates of the jobs holding `slot`."""
        return sum(r.vram_bytes for r in self._running[slot].values())

    def reserved(self) -> dict[str, int | tuple[int, ...]]:
        """Waiting job -> the slot it holds back (a multi-GPU job: the tuple of its slots)."""
        with self._lock:
            return {job: slots[0] if len(slots) == 1 else slots for job, slots in self._reserved.items()}

    def describe(self) -> str:
        """e.g. 'GPU0 80 GiB (headroom 8 GiB, 72 GiB usable); at most 4 jobs per GPU'."""
        parts = []
        for s in self.slots:
            if s.gpu is None:
                parts.append("no GPU: one job at a time")
            elif s.total_bytes is None:
                parts.append(f"{s.label} memory unknown: one job at a time")
            else:
                parts.append(
                    f"{s.label} {gib(s.total_bytes)} GiB (headroom {gib(s.headroom_bytes)} GiB, "
                    f"{gib(s.usable_bytes)} GiB usable)"
                )
        return ", ".join(parts) + f"; at most {plural(self.max_jobs, 'job')} per GPU"

    # ---- admission ---------------------------------------------------------------------------------
    def try_acquire(self, req: PackRequest, blocked: Collection[int] = ()) -> Placement | None:
        """Place one job now (on the least busy slot(s) where it fits, not in `blocked`), or None."""
        with self._lock:
            slots = self._best(req, blocked)
            return None if slots is None else self._take(req, slots)

    def choose(self, waiting: Sequence[PackRequest]) -> Placement | None:
        """The earliest of `waiting` (in queue order) that fits somewhere, placed; None: all wait. A job
        that does not fit holds back one slot from the jobs behind it (see the module's rules)."""
        with self._lock:
            ids = {r.job_id for r in waiting}
            for job_id in [j for j in self._reserved if j not in ids]:
                del self._reserved[job_id]  # started, or no longer allowed to start (its clone is busy)
            blocked: set[int] = set()
            for req in waiting:
                slots = self._best(req, blocked)
                if slots is not None:
                    self._reserved.pop(req.job_id, None)
                    return self._take(req, slots)
                target = self._reserved.get(req.job_id)
                if target is None or blocked.intersection(target):
                    target = self._target(req, blocked)
                if target is None:  # every slot that could ever take it is held back already
                    self._reserved.pop(req.job_id, None)
                    continue
                self._reserved[req.job_id] = target
                blocked.update(target)
                if len(blocked) == len(self.slots):
                    break
            return None

    def release(self, job_id: str) -> Sharing | None:
        """The job's process has ended: free its share. Idempotent (None when it holds nothing)."""
        with self._lock:
            slots = self._where.pop(job_id, None)
            if slots is None:
                return None
            for slot in slots:
                req = self._running[slot].pop(job_id)
                if self._alone.get(slot) == job_id:
                    del self._alone[slot]
            partners = self._partners.pop(job_id, {})
            return Sharing(tuple(sorted(partners)), req.uses_gpu and any(partners.values()))

    # ---- internals (called with the lock held) -----------------------------------------------------
    def _capacity(self, req: PackRequest) -> int | None:
        """The most one GPU of a set of `req.width` can offer: the width-th largest known usable memory."""
        known = self._usable_desc
        return known[min(req.width, len(known)) - 1] if known else None

    def _over_capacity(self, req: PackRequest) -> bool:
        capacity = self._capacity(req)
        return capacity is not None and req.vram_bytes > capacity

    def _fits(self, req: PackRequest, slot: int) -> bool:
        s, jobs = self.slots[slot], self._running[slot]
        if slot in self._alone:
            return False
        if s.usable_bytes is None or self._over_capacity(req):
            return not jobs and self._could_host(req, slot)
        return len(jobs) < self.max_jobs and self.used_bytes(slot) + req.vram_bytes <= s.usable_bytes

    def _could_host(self, req: PackRequest, slot: int) -> bool:
        usable = self.slots[slot].usable_bytes
        if usable is None:
            return True
        if self._over_capacity(req):
            return usable >= (self._capacity(req) or 0)
        return req.vram_bytes <= usable

    def _load(self, slot: int) -> tuple[int, int, int]:
        """Sort key: fewest jobs, then most free memory, then lowest position."""
        usable = self.slots[slot].usable_bytes
        free = usable - self.used_bytes(slot) if usable is not None else 0
        return (len(self._running[slot]), -free, slot)

    def _least_busy(self, candidates: list[int], width: int) -> tuple[int, ...] | None:
        """The `width` least busy of `candidates`, in slot order (the order CUDA_VISIBLE_DEVICES lists)."""
        if len(candidates) < width:
            return None
        return tuple(sorted(sorted(candidates, key=self._load)[:width]))

    def _best(self, req: PackRequest, blocked: Collection[int]) -> tuple[int, ...] | None:
        fits = [i for i in range(len(self.slots)) if i not in blocked and self._fits(req, i)]
        return self._least_busy(fits, req.width)

    def _target(self, req: PackRequest, blocked: Collection[int]) -> tuple[int, ...] | None:
        able = [i for i in range(len(self.slots)) if i not in blocked and self._could_host(req, i)]
        return self._least_busy(able, req.width)

    def _take(self, req: PackRequest, slots: tuple[int, ...]) -> Placement:
        over = self._over_capacity(req)
        self._partners[req.job_id] = {}
        for slot in slots:
            for other in self._running[slot].values():
                self._partners[req.job_id][other.job_id] = other.uses_gpu
                self._partners[other.job_id][req.job_id] = req.uses_gpu
            self._running[slot][req.job_id] = req
            if over or self.slots[slot].usable_bytes is None:
                self._alone[slot] = req.job_id
        self._where[req.job_id] = slots
        alone = any(self._alone.get(slot) == req.job_id for slot in slots)
        gpus = tuple(self.slots[slot].gpu for slot in slots)
        return Placement(req.job_id, slots[0], gpus[0], alone, slots, gpus)


SHARED_GPU_NOTE = (
    "this job shared its GPU with other jobs (--pack): wall_s, rtf and gpu_util_mean include their "
    "contention and are not single-job numbers; energy_j is left empty because device energy cannot be "
    "split between jobs (the device's total over the job is extra.device_energy_j)"
)
SHARED_DELTA_NOTE = (
    "device-delta on a GPU shared with other jobs (--pack): the device's growth includes their memory, "
    "so no per-job VRAM is reported (the raw delta is extra.vram_device_delta_peak_mb)"
)


def mark_shared(metrics: JobMetrics, sharing: Sharing) -> JobMetrics:
    """A packed job's metrics, honest about sharing: `extra` says whether and with whom it shared its
    GPU; when it did, numbers that are the device's rather than the job's (a device-delta VRAM, the
    device's energy) move to `extra` and leave their fields empty. Per-process VRAM stays: it is exact."""
    extra = {**metrics.extra, "packed": True, "shared_gpu": sharing.shared_gpu,
             "shared_with": list(sharing.shared_with)}  # fmt: skip
    if not sharing.shared_gpu:
        return replace(metrics, extra=extra)
    extra["shared_gpu_note"] = SHARED_GPU_NOTE
    changes: dict = {}
    if metrics.vram_attribution == "device-delta":
        extra["vram_device_delta_peak_mb"] = metrics.vram_peak_mb
        extra["vram_device_delta_mean_mb"] = metrics.vram_mean_mb
        changes.update(vram_peak_mb=None, vram_mean_mb=None, vram_attribution_note=SHARED_DELTA_NOTE)
    if metrics.energy_j is not None:
        extra["device_energy_j"] = metrics.energy_j
        extra["device_energy_method"] = metrics.energy_method
        changes.update(energy_j=None, energy_method="shared-gpu")
    return replace(metrics, extra=extra, **changes)


def gib(n: int | float | None) -> str:
    """'80', '2.4' (GiB, one decimal at most)."""
    if n is None:
        return "?"
    return f"{n / GiB:.1f}".removesuffix(".0")
