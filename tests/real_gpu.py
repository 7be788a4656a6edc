"""The one check every GPU test makes: a real NVIDIA GPU through NVML, torch with CUDA, and enough free
memory on GPU 0 for what the test allocates; otherwise the test skips with the reason (CI has no GPU)."""

from __future__ import annotations

import pytest

from thtui.core.monitor import MiB, open_backend


def require_real_gpu(free_mib: float):
    """An open NVML backend (the caller closes it), or pytest.skip with why there is none."""
    backend = open_backend()
    if backend.device_count() == 0:
        backend.close()
        pytest.skip(f"no NVIDIA GPU: {backend.error}")
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        backend.close()
        pytest.skip("torch has no CUDA here")
    dev = backend.read_devices()[0]
    if (dev.mem_total - dev.mem_used) / MiB < free_mib:
        backend.close()
        pytest.skip(f"GPU 0 has less than {free_mib:.0f} MiB free")
    return backend
