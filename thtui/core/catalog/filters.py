"""Filters over the catalog shared by `thtui list` and the Solutions screen: "fits this GPU", "commercial use",
"installed". Pure functions over manifests and facts the caller already has (no NVML or disk here), so the
UI can re-filter on every key press.
"""

from __future__ import annotations

from dataclasses import dataclass

from thtui.core.catalog.loader import LoadedSolution

# Manifests give VRAM in decimal GB as upstream reports it; an "80 GB" board reports 85.5e9 bytes.
GB = 1000**3


@dataclass(frozen=True)
class CatalogFilter:
    """Which solutions to keep. `fits_gpu`: keep what fits `gpu_bytes` (the largest GPU here; None when no
    GPU is visible, which keeps only solutions that need none). `commercial`: licence verdict "yes" only
    ("unknown" is not a yes). `installed`: install state "ready" only."""

    fits_gpu: bool = False
    gpu_bytes: int | None = None
    commercial: bool = False
    installed: bool = False
    gpu_count: int | None = None  # GPUs here; a system whose jobs hold more at once (infer.gpus) does not fit

    @property
    def active(self) -> bool:
        return self.fits_gpu or self.commercial or self.installed

    def describe(self) -> str:
        """e.g. 'fits 80 GB, commercial use, installed' (empty when no filter is on)."""
        parts = []
        if self.fits_gpu:
            parts.append(f"fits {self.gpu_bytes / GB:.0f} GB" if self.gpu_bytes else "needs no GPU")
        if self.commercial:
            parts.append("commercial use")
        if self.installed:
            parts.append("installed")
        return ", ".join(parts)


def fits_gpu(loaded: LoadedSolution, gpu_bytes: int | None, gpu_count: int | None = None) -> bool:
    """True when the solution needs no GPU, or its VRAM estimate fits within `gpu_bytes` total memory (per GPU,
    for a system whose jobs hold several) and, when `gpu_count` is known, there are enough GPUs for one job."""
    sol = loaded.solution
    if not sol.needs_gpu:
        return True
    if gpu_bytes is None or (gpu_count is not None and sol.infer.gpus > gpu_count):
        return False
    return sol.estimates.vram_gb * GB <= gpu_bytes


def keep(loaded: LoadedSolution, install_state: str, f: CatalogFilter) -> bool:
    """Whether one solution passes every active filter."""
    if f.fits_gpu and not fits_gpu(loaded, f.gpu_bytes, f.gpu_count):
        return False
    if f.commercial and loaded.solution.license.commercial != "yes":
        return False
    return not (f.installed and install_state != "ready")


def largest_gpu_bytes(totals_mb: list[int]) -> int | None:
    """The largest board's memory in bytes from per-GPU totals in MiB (gpu_info.GpuInfo.memory_total_mb)."""
    return max(totals_mb) * 1024**2 if totals_mb else None
