"""On a real NVIDIA GPU: a stand-in job that allocates a known amount of VRAM (torch) is reported within
5% as its peak, through the real runner and NVML. Skipped without NVML, a GPU or CUDA torch.
(benchmarks/gpu_vram_check.py prints the same measurement for several sizes.)"""

from __future__ import annotations

import pytest
from real_gpu import require_real_gpu
from runlab import Lab

from thtui.core.monitor import Monitor

pytestmark = pytest.mark.gpu

SIZE_MIB = 16384  # large enough that the job's CUDA context (~0.5 GiB, also its memory) stays under 5%


@pytest.fixture
def nvml():
    backend = require_real_gpu(SIZE_MIB * 1.5)
    yield backend
    backend.close()


def test_real_allocation_is_reported_within_5_percent(
    lab: Lab, nvml, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab.monitor.stop()
    lab.monitor = Monitor(nvml, rate_hz=10).start()
    monkeypatch.setenv("STANDIN_MODE", "torch_vram")
    monkeypatch.setenv("STANDIN_TORCH_VRAM_MB", str(SIZE_MIB))
    monkeypatch.setenv("STANDIN_DELAY", "3")
    result, _ = lab.run(lab.spec(gpus=(0,)))
    lab.monitor.stop()
    m = result.jobs[0].metrics
    assert m.status == "ok", (m.failure_class, m.failure_message)
    assert m.vram_attribution in ("process", "device-delta")
    assert abs(m.vram_peak_mb - SIZE_MIB) / SIZE_MIB <= 0.05, (m.vram_peak_mb, SIZE_MIB, m.vram_attribution)
    assert m.vram_peak_device_mb >= m.vram_peak_mb * 0.95
    assert m.energy_j and m.energy_j > 0 and m.energy_method in ("nvml-energy-counter", "power-integration")
    assert m.gpu_util_mean is not None
