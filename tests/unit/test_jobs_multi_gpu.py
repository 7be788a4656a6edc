"""Multi-GPU jobs (infer.gpus, torchrun ranks) in the allocator on its own: a job of N GPUs holds N slots
together (its estimate on each), waits for N free ones while holding them back from later jobs, and a job
over capacity runs alone on boards of at least the N-th largest size; and the monitor's combined reading."""

from __future__ import annotations

from thtui.core.jobs.gpu_sets import describe_gpus, lead_gpu, visible_devices
from thtui.core.jobs.packing import GiB, GpuPacker, GpuSlot, PackRequest
from thtui.core.monitor import GpuReading
from thtui.core.monitor.watch import combine


def req(job_id: str, gb: float, gpus: int = 1, uses_gpu: bool = True) -> PackRequest:
    return PackRequest(job_id, int(gb * GiB), uses_gpu, gpus)


def packer(*totals_gib: float | None, max_jobs: int = 4) -> GpuPacker:
    return GpuPacker(
        [GpuSlot(i, None if t is None else int(t * GiB)) for i, t in enumerate(totals_gib)], max_jobs
    )


def one_per_gpu(n: int) -> GpuPacker:
    """How a run without --pack places jobs: every slot of unknown memory takes one job."""
    return GpuPacker([GpuSlot(i, None) for i in range(n)])


def test_two_2gpu_jobs_fill_4_gpus_and_a_3gpu_job_waits_holding_3_back() -> None:
    p = one_per_gpu(4)
    a = p.choose([req("a", 1, 2), req("b", 1, 2), req("c", 1, 3)])
    b = p.choose([req("b", 1, 2), req("c", 1, 3)])
    assert a is not None and b is not None
    assert a.gpus == (0, 1) and b.gpus == (2, 3) and a.gpu == 0 and a.slots == (0, 1)
    assert p.choose([req("c", 1, 3)]) is None
    assert len(p.reserved()["c"]) == 3  # type: ignore[arg-type]
    p.release("a")
    assert p.choose([req("c", 1, 3), req("d", 1)]) is None, "c holds back the freed GPUs: d may not take them"
    p.release("b")
    c = p.choose([req("c", 1, 3), req("d", 1)])
    assert c is not None and c.job_id == "c" and len(set(c.gpus)) == 3


def test_waiting_wide_job_holds_back_its_gpus_and_later_jobs_use_the_rest() -> None:
    """A 2-GPU job that cannot start holds back the two GPUs it can use soonest (the free one first), so a
    stream of 1-GPU jobs cannot starve it; GPUs nobody waits for still take later jobs."""
    p = one_per_gpu(5)
    assert p.choose([req("x", 1)]) is not None  # GPU0
    assert p.choose([req("w1", 1, 2)]) is not None  # GPUs 1,2
    assert p.choose([req("v", 1)]).gpus == (3,)  # type: ignore[union-attr]
    got = p.choose([req("wide", 1, 2), req("y", 1)])
    assert p.reserved()["wide"] == (0, 4), "the free GPU4 and the least busy busy one"
    assert got is None, "y may not take GPU4: wide holds it back"
    p.release("v")  # GPU3 frees: with GPU4 that makes two, before any later job may take either
    wide = p.choose([req("wide", 1, 2), req("y", 1)])
    assert wide is not None and wide.job_id == "wide" and wide.gpus == (3, 4)
    assert "wide" not in p.reserved()
    assert p.choose([req("y", 1)]) is None, "GPUs 0-4 all busy"
    p.release("x")
    assert p.choose([req("y", 1)]).gpus == (0,)  # type: ignore[union-attr]


def test_packed_wide_job_needs_its_estimate_on_each_gpu() -> None:
    p = packer(40, 40)  # 36 GiB usable each
    assert p.choose([req("small", 10)]) is not None
    assert p.choose([req("wide", 30, 2)]) is None, "30 GiB does not fit beside 10 GiB on GPU0"
    p.release("small")
    got = p.choose([req("wide", 30, 2)])
    assert got is not None and got.gpus == (0, 1) and not got.alone
    assert p.used_bytes(0) == p.used_bytes(1) == 30 * GiB


def test_wide_job_over_capacity_runs_alone_on_boards_of_the_nth_largest_size() -> None:
    """75 GiB per GPU is over every 80 GiB board's usable 72: it runs alone on the two largest (80, 79),
    never waiting for two boards of exactly the largest size."""
    p = packer(80, 48, 79)
    got = p.choose([req("huge", 75, 2)])
    assert got is not None and got.alone and got.gpus == (0, 2)
    assert p.choose([req("tiny", 1)]).gpus == (1,)  # type: ignore[union-attr]
    assert p.choose([req("tiny2", 1)]) is not None  # the 48 GiB board still takes small jobs


def test_cpu_job_holds_one_slot_whatever_its_manifest_says() -> None:
    assert req("cpu", 0, gpus=4, uses_gpu=False).width == 1


def test_gpu_set_helpers() -> None:
    assert (lead_gpu((3, 1)), visible_devices((3, 1)), describe_gpus((3, 1))) == (3, "3,1", "GPUs 3,1")
    assert (lead_gpu(2), visible_devices(2), describe_gpus(2)) == (2, "2", "GPU 2")
    assert (lead_gpu(None), visible_devices(None), describe_gpus(None)) == (None, "", "GPU -")


def _reading(i: int, used: int | None, power: float | None = 100.0) -> GpuReading:
    return GpuReading(i, "H200", 50.0 + i * 10, used, 100, 40.0 + i, power, 1000 * (i + 1))


def test_combined_reading_sums_memory_power_and_energy_over_the_jobs_gpus() -> None:
    readings = [_reading(0, 10), _reading(1, 20), _reading(2, 30)]
    both = combine(readings, (2, 0))
    assert both is not None
    assert (both.index, both.mem_used, both.mem_total, both.power_w, both.energy_mj) == (
        2,
        40,
        200,
        200.0,
        4000,
    )
    assert both.util_pct == 60.0 and both.temp_c == 42.0
    assert combine(readings, (1,)) == readings[1]
    assert combine(readings, (1, 5)) is None, "a GPU of the job without a reading: nothing is made up"
    partial = combine([_reading(0, None), _reading(1, 20)], (0, 1))
    assert partial is not None and partial.mem_used is None, "absent stays absent, not a partial sum"
