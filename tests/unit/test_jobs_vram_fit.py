"""vram_problems: which solutions cannot fit any GPU they may use (estimates in GB against board bytes)."""

from __future__ import annotations

from thtui.core.catalog import Catalog
from thtui.core.jobs.vram_fit import vram_problems
from thtui.core.monitor.snapshots import GpuReading

H100 = 81559 * 1024**2  # what NVML reports for an "80 GB" H100: 85.5e9 bytes
RTX4090 = 24564 * 1024**2


def _board(index: int, total: int | None, name: str = "GPU") -> GpuReading:
    return GpuReading(index, name, None, None, total, None, None, None)


def test_estimate_over_the_largest_board_is_refused(catalog: Catalog) -> None:
    sonic = catalog.get("sonic")  # 32 GB estimate
    wav2lip = catalog.get("wav2lip")  # 4 GB
    problems = vram_problems([sonic, wav2lip], [_board(0, RTX4090, "RTX 4090")])
    assert len(problems) == 1 and problems[0].startswith("sonic needs about 32 GB")
    assert "the GPU here has 26 GB (GPU0 RTX 4090)" in problems[0]


def test_largest_allowed_board_decides_and_gb_are_decimal(catalog: Catalog) -> None:
    sonic = catalog.get("sonic")
    boards = [_board(0, RTX4090), _board(1, H100)]
    assert vram_problems([sonic], boards) == []  # fits GPU1
    assert vram_problems([sonic], boards, gpus=[1]) == []
    (only,) = vram_problems([sonic], boards, gpus=[0])  # --gpus 0 leaves only the 24 GB card
    assert "GPU0" in only


def test_unknown_memory_and_cpu_solutions_never_refuse(catalog: Catalog) -> None:
    sonic, static = catalog.get("sonic"), catalog.get("static")
    assert vram_problems([sonic], [_board(0, None)]) == []  # the driver did not say
    assert vram_problems([sonic], []) == []  # no GPU visible: preflight says so itself
    assert vram_problems([static], [_board(0, 1024**3)]) == []  # needs no GPU
