"""NvmlBackend against a stand-in `pynvml` module: struct-version fallback, unsupported queries,
compute + graphics merge. (The real driver is exercised by the @gpu test and benchmarks/gpu_vram_check.py.)"""

from __future__ import annotations

import sys
import types
from types import SimpleNamespace

import pytest

from thtui.core.monitor import NvmlBackend, open_backend


class NVMLError(Exception):
    pass


class NVMLError_NotSupported(NVMLError):  # noqa: N801 (pynvml's own names)
    pass


class NVMLError_FunctionNotFound(NVMLError):  # noqa: N801
    pass


def fake_pynvml(*, v3: bool = True, power: bool = True, energy: bool = True) -> types.ModuleType:
    calls: list[str] = []
    nv = types.ModuleType("pynvml")
    nv.NVMLError = NVMLError
    nv.NVMLError_NotSupported = NVMLError_NotSupported
    nv.NVMLError_FunctionNotFound = NVMLError_FunctionNotFound
    nv.NVML_TEMPERATURE_GPU = 0
    nv.calls = calls
    nv.nvmlInit = lambda: None
    nv.nvmlShutdown = lambda: None
    nv.nvmlDeviceGetCount = lambda: 2
    nv.nvmlDeviceGetHandleByIndex = lambda i: f"h{i}"
    nv.nvmlDeviceGetName = lambda h: b"NVIDIA H100 80GB HBM3"
    nv.nvmlDeviceGetUtilizationRates = lambda h: SimpleNamespace(gpu=42, memory=10)
    nv.nvmlDeviceGetMemoryInfo = lambda h: SimpleNamespace(used=10 * 2**30, total=80 * 2**30, free=70 * 2**30)
    nv.nvmlDeviceGetTemperature = lambda h, s: 51

    def get_power(h):
        calls.append("power")
        if not power:
            raise NVMLError_NotSupported()
        return 312_500  # mW

    def get_energy(h):
        calls.append("energy")
        if not energy:
            raise NVMLError_NotSupported()
        return 9_000_000  # mJ

    nv.nvmlDeviceGetPowerUsage = get_power
    nv.nvmlDeviceGetTotalEnergyConsumption = get_energy

    def procs(kind: str, version: str):
        def fn(h):
            calls.append(f"{kind}_{version}")
            if version == "v3" and not v3:
                raise NVMLError_FunctionNotFound()
            if h != "h0":
                return []
            if kind == "compute":
                return [
                    SimpleNamespace(pid=100, usedGpuMemory=2 * 2**30),
                    SimpleNamespace(pid=200, usedGpuMemory=None),
                ]
            return [
                SimpleNamespace(pid=100, usedGpuMemory=2 * 2**30),
                SimpleNamespace(pid=300, usedGpuMemory=2**20),
            ]

        return fn

    for kind, name in (("compute", "Compute"), ("graphics", "Graphics")):
        for version in ("v3", "v2"):
            setattr(nv, f"nvmlDeviceGet{name}RunningProcesses_{version}", procs(kind, version))
    return nv


def test_device_readings_and_merged_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    nv = fake_pynvml()
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    b = NvmlBackend()
    assert b.device_count() == 2
    d = b.read_devices()[0]
    assert (d.name, d.util_pct, d.mem_used, d.mem_total, d.temp_c) == (
        "NVIDIA H100 80GB HBM3",
        42.0,
        10 * 2**30,
        80 * 2**30,
        51.0,
    )
    assert d.power_w == 312.5 and d.energy_mj == 9_000_000
    procs = {(p.pid, p.gpu_index): p.used_bytes for p in b.read_processes()}
    # pid 100 is C+G: counted once, not twice; N/A stays None.
    assert procs == {(100, 0): 2 * 2**30, (200, 0): None, (300, 0): 2**20}


def test_v3_missing_falls_back_to_v2_once(monkeypatch: pytest.MonkeyPatch) -> None:
    nv = fake_pynvml(v3=False)
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    b = NvmlBackend()
    first = b.read_processes()
    nv.calls.clear()
    second = b.read_processes()
    assert first == second and len(first) == 3
    assert "compute_v3" not in nv.calls and "compute_v2" in nv.calls  # v3 is not tried again


def test_unsupported_queries_are_none_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    nv = fake_pynvml(power=False, energy=False)
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    b = NvmlBackend()
    d = b.read_devices()[0]
    assert d.power_w is None and d.energy_mj is None
    nv.calls.clear()
    b.read_devices()
    assert "power" not in nv.calls and "energy" not in nv.calls


def test_open_backend_reports_why_there_is_no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    nv = fake_pynvml()

    def no_library():
        raise NVMLError("NVML Shared Library Not Found")

    nv.nvmlInit = no_library
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    backend = open_backend()
    assert backend.device_count() == 0 and "NVML Shared Library Not Found" in backend.error
    monkeypatch.setitem(sys.modules, "pynvml", None)  # not installed
    assert open_backend().error == "nvidia-ml-py is not installed"


def test_sampler_skips_the_energy_counter_but_a_job_still_gets_its_energy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The energy query cost 3.4 ms of CPU per call on an H200 (benchmarks/monitor_cost.py): the sampler's
    per-sample reads leave it out, watch()/unwatch() read it, and the job's energy is still the counter's."""
    from thtui.core.monitor import Monitor

    nv = fake_pynvml()
    counters = {"h0": iter([1_000_000, 1_250_000]), "h1": iter([7, 8])}  # mJ at watch(), at unwatch()
    nv.nvmlDeviceGetTotalEnergyConsumption = lambda h: (nv.calls.append("energy"), next(counters[h]))[1]
    monkeypatch.setitem(sys.modules, "pynvml", nv)
    monitor = Monitor(NvmlBackend(), rate_hz=10)
    monitor.watch("job", 0)
    assert nv.calls.count("energy") == 2  # the start reading (read_devices reads both GPUs)
    nv.calls.clear()
    snaps = [monitor.sample_once() for _ in range(5)]
    assert "energy" not in nv.calls and nv.calls.count("power") == 10  # 5 samples x 2 GPUs
    assert all(g.energy_mj is None and g.power_w == 312.5 for s in snaps for g in s.gpus)
    stats = monitor.unwatch("job")
    assert nv.calls.count("energy") == 2  # the end reading
    assert (stats.energy_j, stats.energy_method) == (250.0, "nvml-energy-counter")
