"""The GPUs one job holds: a plain index (as before multi-GPU jobs), a tuple of indices for a job of
several ranks (infer.gpus > 1, launched by torchrun), or None (no GPU)."""

from __future__ import annotations

GpuSet = int | tuple[int, ...] | None


def gpu_indices(gpus: GpuSet) -> tuple[int, ...]:
    if gpus is None:
        return ()
    return (gpus,) if isinstance(gpus, int) else tuple(gpus)


def lead_gpu(gpus: GpuSet) -> int | None:
    """The first GPU of the set: the one single-GPU fields (store, events, metrics.gpu_index) name."""
    indices = gpu_indices(gpus)
    return indices[0] if indices else None


def visible_devices(gpus: GpuSet) -> str:
    """CUDA_VISIBLE_DEVICES for the job: '2', or '1,3' (rank i sees the i-th as its cuda:0 under torchrun)."""
    return ",".join(map(str, gpu_indices(gpus)))


def describe_gpus(gpus: GpuSet) -> str:
    """'GPU 2', 'GPUs 1,3', or 'GPU -'."""
    indices = gpu_indices(gpus)
    return f"GPUs {visible_devices(gpus)}" if len(indices) > 1 else f"GPU {indices[0] if indices else '-'}"
