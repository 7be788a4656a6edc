"""Packing jobs onto GPUs by VRAM estimate (RunSpec.pack): the allocator on its own, without threads,
the queue's take_fitting, honest metrics for jobs that shared a GPU, and the spec's round trip."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from thtui.core.jobs.events import JobInfo
from thtui.core.jobs.matrix import PlannedJob
from thtui.core.jobs.packing import (
    HEADROOM_MIN_BYTES,
    MAX_JOBS_PER_GPU,
    SHARED_DELTA_NOTE,
    GiB,
    GpuPacker,
    GpuSlot,
    PackRequest,
    Sharing,
    mark_shared,
    slots_for,
)
from thtui.core.jobs.queue import JobQueue
from thtui.core.jobs.spec import RunSpec
from thtui.core.metrics import JobMetrics
from thtui.core.monitor import GpuReading


def req(job_id: str, gb: float, uses_gpu: bool = True) -> PackRequest:
    return PackRequest(job_id, int(gb * GiB), uses_gpu)


def packer(*totals_gib: float | None, max_jobs: int = MAX_JOBS_PER_GPU) -> GpuPacker:
    slots = [GpuSlot(i, None if t is None else int(t * GiB)) for i, t in enumerate(totals_gib)]
    return GpuPacker(slots, max_jobs)


def test_headroom_is_ten_percent_or_two_gib_whichever_is_larger() -> None:
    big, small = GpuSlot(0, 80 * GiB), GpuSlot(1, 8 * GiB)
    assert big.headroom_bytes == 8 * GiB and big.usable_bytes == 72 * GiB
    assert small.headroom_bytes == HEADROOM_MIN_BYTES == 2 * GiB and small.usable_bytes == 6 * GiB
    assert GpuSlot(2, None).usable_bytes is None


def test_jobs_share_a_gpu_while_their_estimates_fit() -> None:
    p = packer(24)  # 21.6 GiB usable
    a = p.try_acquire(req("a", 8))
    b = p.try_acquire(req("b", 8))
    assert a is not None and b is not None and a.gpu == b.gpu == 0 and not a.alone
    assert p.try_acquire(req("c", 6)) is None  # 8 + 8 + 6 = 22 > 21.6: the headroom counts
    assert p.try_acquire(req("d", 5.5)) is not None  # 21.5 fits
    assert p.used_bytes(0) == int(8 * GiB) * 2 + int(5.5 * GiB)


def test_headroom_decides_on_a_small_board() -> None:
    p = packer(8, 16)
    assert p.try_acquire(req("six", 6), blocked={1}).gpu == 0  # exactly the 6 GiB usable on 8 GiB
    assert p.try_acquire(req("more", 0.5), blocked={1}) is None  # full up to the headroom


def test_idle_gpus_fill_before_any_is_shared() -> None:
    p = packer(24, 24)
    assert [p.try_acquire(req(n, 1)).gpu for n in "abc"] == [0, 1, 0]


def test_a_job_over_every_gpus_capacity_runs_alone_on_the_largest() -> None:
    p = packer(16, 24)
    small = p.try_acquire(req("small", 1))  # the least busy: GPU0 and GPU1 tie on jobs, GPU1 has more room
    assert small.gpu == 1
    assert p.choose([req("huge", 40)]) is None  # it waits for the largest to be empty, never deadlocks
    assert p.reserved() == {"huge": 1}
    p.release("small")
    huge = p.choose([req("huge", 40)])
    assert huge is not None and huge.gpu == 1 and huge.alone
    assert p.try_acquire(req("zero", 0), blocked={0}) is None  # nothing joins a job that runs alone
    assert p.try_acquire(req("zero", 0)).gpu == 0
    assert p.release("huge") == Sharing((), False)
    assert p.try_acquire(req("next", 10)).gpu == 1


def test_zero_estimate_jobs_hold_no_memory_but_count_towards_the_cap() -> None:
    p = packer(24)
    placed = [p.try_acquire(req(f"s{i}", 0, uses_gpu=False)) for i in range(MAX_JOBS_PER_GPU + 1)]
    assert all(placed[:MAX_JOBS_PER_GPU]) and placed[-1] is None
    assert p.used_bytes(0) == 0
    p.release("s0")
    assert p.try_acquire(req("s4", 0, uses_gpu=False)) is not None
    assert packer(24, max_jobs=1).try_acquire(req("x", 0)) is not None


def test_unknown_memory_takes_one_job_at_a_time() -> None:
    p = GpuPacker(slots_for([None], []))  # no GPU: the CPU slot
    assert p.try_acquire(req("a", 0, uses_gpu=False)) is not None
    assert p.try_acquire(req("b", 0, uses_gpu=False)) is None
    q = packer(None)
    assert q.try_acquire(req("big", 100)).alone  # any size, alone: as without packing
    assert q.try_acquire(req("tiny", 0)) is None


def test_earliest_job_that_fits_goes_first() -> None:
    p = packer(24)
    first = p.choose([req("a", 4), req("b", 4)])
    assert first.job_id == "a"
    assert p.choose([req("b", 4)]).job_id == "b"


def test_a_waiting_head_job_holds_its_gpu_back_so_it_is_never_starved() -> None:
    p = packer(24)  # 21.6 usable
    p.try_acquire(req("running", 12))
    # "big" (16) does not fit beside "running"; "small" (4) would, but may not overtake it there.
    assert p.choose([req("big", 16), req("small", 4)]) is None
    assert p.reserved() == {"big": 0}
    p.release("running")
    assert p.choose([req("big", 16), req("small", 4)]).job_id == "big"
    assert p.choose([req("small", 4)]).job_id == "small"  # 16 + 4 fits: now it may join


def test_later_jobs_may_start_on_gpus_nobody_waits_for() -> None:
    p = packer(24, 24)
    p.try_acquire(req("a", 12))
    p.try_acquire(req("b", 12))
    got = p.choose([req("big", 16), req("small", 4)])
    assert got is not None and got.job_id == "small" and got.gpu == 1
    assert p.reserved() == {"big": 0}
    # The reservation sticks while "big" waits: GPU0 takes nothing new, even what would fit there.
    assert p.choose([req("big", 16), req("small2", 4)]).gpu == 1  # 12 + 4 + 4 fits GPU1
    assert p.choose([req("big", 16), req("small3", 4)]) is None  # GPU1 is full; GPU0 would fit it
    assert p.reserved() == {"big": 0, "small3": 1}  # each waiting job holds back one GPU
    p.release("a")
    assert p.choose([req("big", 16)]).gpu == 0
    assert p.reserved() == {}


def test_a_reservation_is_dropped_when_its_job_may_no_longer_start() -> None:
    p = packer(24)
    p.try_acquire(req("a", 12))
    assert p.choose([req("big", 16)]) is None and p.reserved() == {"big": 0}
    assert p.choose([req("small", 4)]).job_id == "small"  # "big" is not among the ready (clone busy)
    assert p.reserved() == {}


def test_release_says_with_whom_a_job_shared_and_is_idempotent() -> None:
    p = packer(24)
    p.try_acquire(req("gpu_a", 2))
    p.try_acquire(req("static", 0, uses_gpu=False))
    p.try_acquire(req("gpu_b", 2))
    assert p.running(0) == ("gpu_a", "static", "gpu_b")
    assert p.release("gpu_a") == Sharing(("gpu_b", "static"), True)
    assert p.release("gpu_a") is None
    assert p.release("static") == Sharing(("gpu_a", "gpu_b"), False)  # it never touched the GPU
    p.try_acquire(req("gpu_c", 2))
    assert p.release("gpu_b") == Sharing(("gpu_a", "gpu_c", "static"), True)
    assert p.release("gpu_c") == Sharing(("gpu_b",), True)
    p.try_acquire(req("alone", 2))
    assert p.release("alone") == Sharing((), False)


def test_slots_are_sized_from_the_monitor_readings() -> None:
    readings = [GpuReading(i, "g", None, 0, t, None, None, None) for i, t in enumerate((80 * GiB, None))]
    slots = slots_for([1, 0, 1, 5], readings)
    assert slots == [GpuSlot(1, None), GpuSlot(0, 80 * GiB), GpuSlot(5, None)]
    text = GpuPacker(slots).describe()
    assert "GPU0 80 GiB (headroom 8 GiB, 72 GiB usable)" in text
    assert "GPU1 memory unknown: one job at a time" in text and "at most 4 jobs per GPU" in text


def _metrics(attribution: str, vram: float | None, energy: float | None) -> JobMetrics:
    return JobMetrics(
        status="ok", exit_code=0, failure_class=None, failure_message=None, wall_s=2.0, audio_s=1.0, rtf=2.0,
        vram_peak_mb=vram, vram_mean_mb=vram, vram_peak_device_mb=5000.0, vram_mean_device_mb=4000.0,
        vram_attribution=attribution, vram_attribution_note="n", gpu_index=0, gpu_util_mean=50.0,
        energy_j=energy, energy_method="nvml-energy-counter" if energy else "unavailable", rss_peak_mb=10.0,
        cpu_time_s=1.0, sample_rate_hz=4.0, n_samples=8, extra={"upstream_output": "x"},
    )  # fmt: skip


def test_a_shared_device_delta_and_device_energy_are_not_reported_as_the_jobs() -> None:
    m = mark_shared(_metrics("device-delta", 3000.0, 120.0), Sharing(("r/other",), True))
    assert m.vram_peak_mb is None and m.vram_mean_mb is None and m.vram_attribution == "device-delta"
    assert m.vram_attribution_note == SHARED_DELTA_NOTE
    assert m.energy_j is None and m.energy_method == "shared-gpu"
    assert m.extra["vram_device_delta_peak_mb"] == 3000.0 and m.extra["device_energy_j"] == 120.0
    assert m.extra["shared_gpu"] is True and m.extra["shared_with"] == ["r/other"]
    assert "not single-job numbers" in m.extra["shared_gpu_note"] and m.extra["upstream_output"] == "x"
    assert m.wall_s == 2.0 and m.vram_peak_device_mb == 5000.0  # measured, flagged, kept


def test_per_process_vram_stays_and_an_unshared_job_keeps_every_number() -> None:
    m = mark_shared(_metrics("process", 3000.0, None), Sharing(("r/other",), True))
    assert m.vram_peak_mb == 3000.0 and m.energy_j is None and m.energy_method == "unavailable"
    plain = _metrics("device-delta", 3000.0, 120.0)
    alone = mark_shared(plain, Sharing(("r/static",), False))
    assert alone.vram_peak_mb == 3000.0 and alone.energy_j == 120.0
    assert alone.extra == {**plain.extra, "packed": True, "shared_gpu": False, "shared_with": ["r/static"]}


def _job(job_id: str, solution: str, warmup: bool = False) -> PlannedJob:
    info = JobInfo(job_id, solution, 0, "i.png", "a.wav", 1, warmup, f"/tmp/{job_id}")
    return PlannedJob(0, info, None, None)  # type: ignore[arg-type]  # the queue reads only the info


def test_take_fitting_keeps_the_queue_rules_and_stops_on_cancel() -> None:
    a1, a2, b = _job("a1", "a"), _job("a2", "a"), _job("b", "b")
    queue = JobQueue([a1, a2, b], exclusive={"a"})
    stop = threading.Event()
    seen: list[list[str]] = []

    def first(ready):
        seen.append([j.info.job_id for j in ready])
        return (ready[0], "slot") if ready else None

    assert queue.take_fitting(first, stop) == (a1, "slot")
    assert queue.take_fitting(first, stop) == (b, "slot")  # a2 waits: clone "a" is busy
    assert seen[-1] == ["b"]
    queue.done(a1)
    assert queue.take_fitting(first, stop) == (a2, "slot")
    assert queue.take_fitting(first, stop) is None  # nothing left


def test_take_fitting_waits_for_the_warm_up_and_for_pick() -> None:
    warm, timed, other = _job("w", "s", warmup=True), _job("t", "s"), _job("o", "o")
    queue = JobQueue([warm, timed, other], exclusive=set())
    stop = threading.Event()
    assert queue.take_fitting(lambda ready: (ready[0], 0), stop)[0] is warm
    offered: list[list[str]] = []

    def refuse_then_stop(ready):
        offered.append([j.info.job_id for j in ready])
        stop.set()  # nothing fits; the next round sees the stop
        return None

    assert queue.take_fitting(refuse_then_stop, stop) is None
    assert offered == [["o"]]  # the timed job waits for its solution's warm-up to end
    queue.done(warm)
    assert queue.take_fitting(lambda ready: (ready[0], 0), threading.Event())[0] is timed


def test_take_fitting_returns_none_once_stopped_and_leaves_jobs_pending() -> None:
    queue = JobQueue([_job("x", "x")], exclusive=set())
    stop = threading.Event()
    stop.set()
    assert queue.take_fitting(lambda ready: (ready[0], 0), stop) is None
    assert queue.take_fitting(lambda ready: (ready[0], 0), threading.Event())[0].info.job_id == "x"


def test_spec_pack_round_trips_and_old_run_json_loads_without_it() -> None:
    spec = RunSpec(solutions=("static",), images=(Path("/i.png"),), audios=(Path("/a.wav"),), pack=True)
    data = spec.to_json()
    assert data["pack"] is True and RunSpec.from_json(data).pack is True
    old = {k: v for k, v in data.items() if k != "pack"}
    assert RunSpec.from_json(old).pack is False
    assert RunSpec(solutions=("static",), images=(Path("/i.png"),), audios=(Path("/a.wav"),)).pack is False


@pytest.mark.parametrize("gb", [0.5, 1.0])
def test_requests_are_compared_in_bytes(gb: float) -> None:
    p = packer(3)  # 1 GiB usable
    assert p.try_acquire(req("a", gb)) is not None
    assert (p.try_acquire(req("b", gb)) is not None) == (gb * 2 <= 1.0)
