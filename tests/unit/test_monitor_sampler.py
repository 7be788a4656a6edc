"""The sampler with a scripted fake GPU: attribution, fallbacks, energy, history, subscribers."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time

import psutil
import pytest

from thtui.core.monitor import (
    CONTAINER_NOTE,
    NO_PROC_MEM_NOTE,
    FakeDevice,
    FakeGpuBackend,
    MiB,
    Monitor,
    MonitorSnapshot,
    NullGpuBackend,
    open_backend,
)


class Tree:
    """A process set: the given pids (what ProcessTree.members() returns)."""

    def __init__(self, *pids: int):
        self.procs = [psutil.Process(p) for p in pids]

    def members(self) -> list[psutil.Process]:
        return self.procs


@pytest.fixture
def sleeper():
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    yield p
    p.kill()
    p.wait()


def test_process_attribution_sums_the_jobs_tree_only(sleeper) -> None:
    backend = FakeGpuBackend(devices=[FakeDevice(mem_base=500 * MiB)])
    m = Monitor(backend, rate_hz=50)
    w = m.watch("j", 0)
    w.attach(Tree(sleeper.pid))
    backend.set_process(sleeper.pid, 1200 * MiB)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        backend.set_process(other.pid, 3000 * MiB)  # someone else's process on the same GPU
        snap = m.sample_once()
        backend.set_process(sleeper.pid, 2000 * MiB)
        m.sample_once()
        backend.set_process(sleeper.pid, 1000 * MiB)
        m.sample_once()
    finally:
        other.kill()
        other.wait()
    usage = snap.job("j")
    assert usage.attribution == "process" and usage.vram_bytes == 1200 * MiB
    assert usage.vram_delta_bytes == (1200 + 3000) * MiB  # device growth includes the neighbour
    stats = m.unwatch("j")
    assert stats.attribution == "process"
    assert stats.vram_peak_job == 2000 * MiB
    assert stats.vram_mean_job == pytest.approx((1200 + 2000 + 1000) / 3 * MiB)
    assert stats.vram_device_baseline == 500 * MiB
    assert stats.vram_peak_device == (500 + 2000 + 3000) * MiB
    assert stats.n_samples == 3 and len(stats.samples) == 3 and stats.samples[1].vram_job_mb == 2000.0


def test_hidden_pids_fall_back_to_the_device_delta(sleeper) -> None:
    backend = FakeGpuBackend(devices=[FakeDevice(mem_base=400 * MiB)], hide_pids=True)
    m = Monitor(backend, rate_hz=50)
    w = m.watch("j", 0)
    w.attach(Tree(sleeper.pid))
    backend.set_process(sleeper.pid, 900 * MiB)
    snap = m.sample_once()
    assert not snap.pids_visible
    assert snap.job("j").attribution == "device-delta" and snap.job("j").vram_bytes == 900 * MiB
    stats = m.unwatch("j")
    assert stats.attribution == "device-delta" and stats.attribution_note == CONTAINER_NOTE
    assert stats.vram_peak_job == 900 * MiB


def test_no_per_process_memory_falls_back_too(sleeper) -> None:
    backend = FakeGpuBackend(per_process_supported=False)
    m = Monitor(backend, rate_hz=50)
    m.watch("j", 0).attach(Tree(sleeper.pid))
    backend.set_process(sleeper.pid, 700 * MiB)
    m.sample_once()
    stats = m.unwatch("j")
    assert stats.attribution == "device-delta" and stats.attribution_note == NO_PROC_MEM_NOTE
    assert stats.vram_peak_job == 700 * MiB


def test_energy_from_counter_or_integrated_power(sleeper) -> None:
    for supported, method in ((True, "nvml-energy-counter"), (False, "power-integration")):
        backend = FakeGpuBackend(devices=[FakeDevice(power_w=200.0, energy_supported=supported)])
        m = Monitor(backend, rate_hz=50)
        m.watch("j", 0).attach(Tree(sleeper.pid))
        t0 = time.monotonic()
        for _ in range(4):
            time.sleep(0.05)
            m.sample_once()
        stats = m.unwatch("j")
        elapsed = time.monotonic() - t0
        assert stats.energy_method == method
        assert stats.energy_j == pytest.approx(200.0 * elapsed, rel=0.15)
    backend = FakeGpuBackend(devices=[FakeDevice(power_w=None, energy_supported=False)])
    m = Monitor(backend)
    m.watch("j", 0)
    assert m.unwatch("j").energy_method == "unavailable"


def test_without_a_gpu_only_host_panels(sleeper) -> None:
    m = Monitor(NullGpuBackend("NVML unavailable: no driver"), rate_hz=50)
    m.watch("j", None).attach(Tree(sleeper.pid))
    snap = m.sample_once()
    assert snap.gpus == () and snap.gpu_error == "NVML unavailable: no driver"
    assert snap.host.ram_total > 0 and 0 <= snap.host.cpu_pct <= 100
    assert snap.job("j").rss_bytes > 0 and snap.job("j").vram_bytes is None
    stats = m.unwatch("j")
    assert stats.attribution == "none" and stats.vram_peak_job is None and stats.rss_peak > 0


def test_snapshots_are_immutable_events_with_bounded_history() -> None:
    m = Monitor(FakeGpuBackend(), rate_hz=50, history=5)
    for _ in range(8):
        m.sample_once()
    hist = m.history()
    assert len(hist) == 5 and hist[-1] is m.latest
    assert all(a.t < b.t for a, b in zip(hist, hist[1:], strict=False))
    with pytest.raises(dataclasses.FrozenInstanceError):
        hist[0].gpus = ()  # type: ignore[misc]
    assert isinstance(hist[0], MonitorSnapshot)


def test_thread_rate_subscribers_and_a_broken_subscriber() -> None:
    m = Monitor(FakeGpuBackend(), rate_hz=20)
    got: list[MonitorSnapshot] = []
    slow: list[MonitorSnapshot] = []
    m.subscribe(got.append)
    m.subscribe(slow.append, max_hz=4)
    m.subscribe(lambda s: 1 / 0)
    with m:
        time.sleep(1.0)
    assert 8 <= len(got) <= 24  # ~20 Hz for 1 s (slack for a loaded CI machine)
    assert 2 <= len(slow) <= 6  # throttled to 4 Hz
    assert m.subscriber_errors == len(got)  # counted, never fatal
    n = len(got)
    time.sleep(0.2)
    assert len(got) == n  # stopped
    unsub = m.subscribe(got.append)
    unsub()
    m.sample_once()
    assert len(got) == n + 1  # the first subscription still listens; the removed one does not


def test_a_failing_gpu_read_keeps_host_monitoring() -> None:
    class Broken(FakeGpuBackend):
        def read_devices(self):
            raise RuntimeError("GPU has fallen off the bus")

    snap = Monitor(Broken()).sample_once()
    assert snap.gpus == () and "fallen off the bus" in snap.gpu_error and snap.host.ram_total > 0


def test_fake_backend_reads_announcements_from_processes(tmp_path, sleeper) -> None:
    (tmp_path / f"{sleeper.pid}.json").write_text('{"bytes": 1048576, "gpu": 0, "util": 55}')
    (tmp_path / "999999999.json").write_text('{"bytes": 5}')  # a dead pid: freed
    backend = FakeGpuBackend(pid_dir=tmp_path)
    procs = backend.read_processes()
    assert [(p.pid, p.used_bytes) for p in procs] == [(sleeper.pid, 1048576)]
    assert backend.read_devices()[0].util_pct == 55


def test_open_backend_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THTUI_GPU_BACKEND", "fake")
    assert isinstance(open_backend(), FakeGpuBackend)
    monkeypatch.setenv("THTUI_GPU_BACKEND", "bogus")
    assert "choose auto, fake or none" in open_backend().error
    monkeypatch.delenv("THTUI_GPU_BACKEND")
    assert open_backend("none").device_count() == 0
    assert open_backend("fake").device_count() == 1
    auto = open_backend("auto")
    assert auto.device_count() > 0 or auto.error  # NVML here, or a reason why not
