"""Static facts about the machine's NVIDIA GPUs (driver, names, compute capability), via NVML.

Live sampling lives in thtui.core.monitor; this module answers "what is here?" once, for doctor and setup.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    compute_capability: tuple[int, int]
    memory_total_mb: int
    uuid: str

    @property
    def sm(self) -> str:
        """e.g. 'sm_90' for an H100, the form torch.cuda.get_arch_list() uses."""
        return f"sm_{self.compute_capability[0]}{self.compute_capability[1]}"


@dataclass(frozen=True)
class GpuReport:
    driver: str | None
    cuda_driver: str | None  # highest CUDA version the driver supports, e.g. "12.4"
    gpus: tuple[GpuInfo, ...]
    error: str | None = None  # why NVML is unavailable, when it is


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def probe_gpus() -> GpuReport:
    try:
        import pynvml
    except ImportError:
        return GpuReport(None, None, (), "nvidia-ml-py is not installed")
    try:
        pynvml.nvmlInit()
    except Exception as exc:  # NVMLError_LibraryNotFound, DriverNotLoaded, ...
        return GpuReport(None, None, (), f"NVML unavailable: {exc}")
    try:
        driver = _text(pynvml.nvmlSystemGetDriverVersion())
        cuda_int = pynvml.nvmlSystemGetCudaDriverVersion_v2()
        cuda = f"{cuda_int // 1000}.{(cuda_int % 1000) // 10}"
        gpus = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            h = pynvml.nvmlDeviceGetHandleByIndex(i)
            major, minor = pynvml.nvmlDeviceGetCudaComputeCapability(h)
            mem = pynvml.nvmlDeviceGetMemoryInfo(h)
            gpus.append(
                GpuInfo(
                    index=i,
                    name=_text(pynvml.nvmlDeviceGetName(h)),
                    compute_capability=(int(major), int(minor)),
                    memory_total_mb=int(mem.total // (1024 * 1024)),
                    uuid=_text(pynvml.nvmlDeviceGetUUID(h)),
                )
            )
        return GpuReport(driver, cuda, tuple(gpus))
    except Exception as exc:
        return GpuReport(None, None, (), f"NVML query failed: {exc}")
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()
