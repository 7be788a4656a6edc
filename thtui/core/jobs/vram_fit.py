"""Refuse, before a run starts, a job whose VRAM estimate exceeds every GPU it may use.

The packer (thtui.core.jobs.packing) deliberately runs a job that is over every GPU's *usable* memory alone on
the largest one: estimates are rough, and headroom is a margin, not a limit. A job whose estimate is above a
board's *total* memory is different: the 14B video-diffusion avatars (InfiniteTalk, LiveAvatar: ~80 GB)
cannot load on a 24 GB card at all, and finding that out costs a clone of the weights into RAM and minutes of
loading before the out-of-memory crash. So those are refused up front, with the numbers and where the estimate
comes from. GPUs of unknown memory (the driver did not say) never refuse anything.

A job that holds several GPUs together (infer.gpus = N, torchrun ranks; its estimate is per GPU) is refused
when the run may use fewer than N GPUs (waiting for them would never end), or when its estimate exceeds the
N-th largest board (it needs N boards of that size at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from thtui.core.catalog import Catalog, LoadedSolution
from thtui.core.jobs.spec import RunError, RunSpec
from thtui.core.monitor.snapshots import GpuReading
from thtui.core.wording import plural

# Manifests give VRAM in GB as upstream reports it ("80 GB GPU"); boards report bytes. An "80 GB" H100 has
# 79.6 GiB = 85.5e9 bytes, so comparing in decimal GB keeps an 80 GB estimate on an 80 GB board.
GB = 1000**3


def _gb(n: float) -> str:
    return f"{n / GB:.0f} GB" if n >= 10 * GB else f"{n / GB:.1f} GB"


def vram_problems(
    solutions: Iterable[LoadedSolution], readings: Sequence[GpuReading], gpus: Sequence[int] | None = None
) -> list[str]:
    """One line per solution whose VRAM estimate exceeds the total memory of every GPU in `gpus` (None: all
    in `readings`). Empty when everything can fit, or when no GPU's memory is known."""
    allowed = set(gpus) if gpus is not None else None
    boards = [r for r in readings if r.mem_total and (allowed is None or r.index in allowed)]
    if not boards:
        return []
    boards = sorted(boards, key=lambda r: -(r.mem_total or 0))
    problems = []
    for loaded in solutions:
        sol = loaded.solution
        if not sol.needs_gpu or not sol.estimates.vram_gb:
            continue
        need = sol.estimates.vram_gb * GB
        n = sol.infer.gpus
        if n > 1:
            if n > len(boards):
                continue  # gpu_count_problems says it, with the count
            nth = boards[n - 1]
            if need > (nth.mem_total or 0):
                largest_n = ", ".join(f"GPU{b.index} {_gb(b.mem_total or 0)}" for b in boards[:n])
                problems.append(
                    f"{sol.name} needs about {sol.estimates.vram_gb:g} GB on each of the {n} GPUs it holds "
                    f"together (manifest estimate; infer.gpus: {n}), and the {n} largest here are {largest_n}: "
                    f"it cannot fit, so it is refused before it starts"
                )
            continue
        largest = boards[0]
        total = largest.mem_total or 0
        if need > total:
            which = "the largest GPU" if len(boards) > 1 else "the GPU"
            problems.append(
                f"{sol.name} needs about {sol.estimates.vram_gb:g} GB of GPU memory (manifest estimate), "
                f"{which} here has {_gb(total)} (GPU{largest.index} {largest.name}): it cannot fit, "
                f"so it is refused before it starts"
            )
    return problems


def gpu_count_problems(solutions: Iterable[LoadedSolution], usable: Sequence[int]) -> list[str]:
    """One line per solution whose jobs hold more GPUs together (infer.gpus) than the run may use
    (`usable`: its GPU indices). Empty when `usable` is empty: preflight has said there is no GPU."""
    if not usable:
        return []
    have = len(usable)
    listed = ",".join(map(str, usable))
    problems = []
    for loaded in solutions:
        sol = loaded.solution
        if sol.needs_gpu and sol.infer.gpus > have:
            problems.append(
                f"{sol.name} runs each job on {sol.infer.gpus} GPUs together (infer.gpus: {sol.infer.gpus}), "
                f"and this run may use {plural(have, 'GPU')} ({listed}): it could never start, so it is "
                f"refused before it starts"
            )
    return problems


def refuse_unfittable(catalog: Catalog, spec: RunSpec, readings: Sequence[GpuReading]) -> None:
    """Raise RunError naming every solution of `spec` that cannot fit the GPUs it may use (after preflight,
    which has refused unknown names and GPU indices this machine does not have): over every GPU's memory,
    or holding more GPUs together than the run may use."""
    loaded = [catalog.get(name) for name in spec.solutions if name in catalog]
    usable = list(dict.fromkeys(spec.gpus)) if spec.gpus else [r.index for r in readings]
    problems = gpu_count_problems(loaded, usable) + vram_problems(loaded, readings, spec.gpus)
    if problems:
        raise RunError("cannot start the run:\n  " + "\n  ".join(problems))
