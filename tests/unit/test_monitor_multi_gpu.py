"""The sampler accounts a job that holds several GPUs as one: per-process VRAM summed over its tree on all
of them (not on a GPU it does not hold), the device delta and energy summed over its GPUs."""

from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

from thtui.core.monitor import FakeDevice, FakeGpuBackend, MiB, Monitor


class Tree:
    def __init__(self, *pids: int):
        self.procs = [psutil.Process(p) for p in pids]

    def members(self) -> list[psutil.Process]:
        return self.procs


@pytest.fixture
def ranks():
    procs = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) for _ in range(3)]
    yield [p.pid for p in procs]
    for p in procs:
        p.kill()
        p.wait()


def _backend(**kw) -> FakeGpuBackend:
    return FakeGpuBackend(devices=[FakeDevice(mem_base=100 * MiB, power_w=100.0) for _ in range(3)], **kw)


def test_ranks_on_the_jobs_gpus_are_summed(ranks) -> None:
    backend = _backend()
    m = Monitor(backend, rate_hz=50)
    w = m.watch("j", (0, 2))
    assert w.gpus == (0, 2) and w.gpu_index == 0
    w.attach(Tree(*ranks))
    backend.set_process(ranks[0], 1000 * MiB, gpu=0)
    backend.set_process(ranks[1], 3000 * MiB, gpu=2)
    backend.set_process(ranks[2], 5000 * MiB, gpu=1)  # a process of the tree on a GPU the job does not hold
    usage = m.sample_once().job("j")
    assert usage.attribution == "process" and usage.vram_bytes == 4000 * MiB
    assert usage.gpu_indices == (0, 2) and usage.vram_delta_bytes == 4000 * MiB
    stats = m.unwatch("j")
    assert stats.vram_peak_job == 4000 * MiB
    assert stats.vram_device_baseline == 200 * MiB  # both GPUs' memory before the job
    assert stats.vram_peak_device == (200 + 4000) * MiB
    assert "summed over its 2 GPUs (0,2: all its ranks)" in stats.attribution_note
    assert stats.energy_j is not None and stats.energy_method == "nvml-energy-counter"


def test_hidden_pids_fall_back_to_the_delta_over_all_its_gpus(ranks) -> None:
    backend = _backend(hide_pids=True)
    m = Monitor(backend, rate_hz=50)
    m.watch("j", (1, 2)).attach(Tree(*ranks))
    backend.set_process(ranks[0], 700 * MiB, gpu=1)
    backend.set_process(ranks[1], 900 * MiB, gpu=2)
    usage = m.sample_once().job("j")
    assert usage.attribution == "device-delta" and usage.vram_bytes == 1600 * MiB
    stats = m.unwatch("j")
    assert stats.attribution == "device-delta" and stats.vram_peak_job == 1600 * MiB
    assert "summed over its 2 GPUs" in stats.attribution_note


def test_a_gpu_without_a_reading_leaves_the_job_unmeasured(ranks) -> None:
    """A job told to use GPUs 0 and 7 on a 3-GPU box: no made-up partial sum."""
    backend = _backend()
    m = Monitor(backend, rate_hz=50)
    m.watch("j", (0, 7)).attach(Tree(*ranks))
    backend.set_process(ranks[0], 1000 * MiB, gpu=0)
    usage = m.sample_once().job("j")
    assert usage.attribution == "none" and usage.vram_bytes is None
