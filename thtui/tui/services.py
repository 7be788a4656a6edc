"""Blocking helpers the screens call from thread workers: thin glue over thtui.core, no Textual.

Anything here that is more than glue is a stop-gap for a core API that does not exist yet; each says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from thtui.core.catalog import Catalog, LoadedSolution
from thtui.core.config import Settings
from thtui.core.install_status import InstallStatus, solution_status
from thtui.core.setup.record import env_backend_of


@dataclass(frozen=True)
class SolutionRow:
    name: str
    status: InstallStatus
    disk_bytes: int | None  # measured on disk (clone + env); None when nothing is installed
    env_backend: str | None = None  # conda, mamba, micromamba or uv: what built the env (install record)


def tree_size(paths: Iterable[Path]) -> int | None:
    """Bytes under the given paths (symlinks not followed); None when none exists.
    Stop-gap: the setup engine knows what it wrote and should report it (see the TUI notes)."""
    total, seen_any = 0, False
    for root in paths:
        if not root.exists():
            continue
        seen_any = True
        for dirpath, _dirs, files in os.walk(root):
            for f in files:
                try:
                    total += os.lstat(os.path.join(dirpath, f)).st_size
                except OSError:
                    continue
    return total if seen_any else None


def solution_paths(settings: Settings, loaded: LoadedSolution) -> list[Path]:
    if loaded.solution.kind == "builtin":
        return []
    return [settings.repos_dir / loaded.name, settings.envs_dir / loaded.name]


def solution_rows(settings: Settings, catalog: Catalog, measure_disk: bool = True) -> list[SolutionRow]:
    rows = []
    for loaded in catalog:
        disk = tree_size(solution_paths(settings, loaded)) if measure_disk else None
        backend = None if loaded.solution.kind == "builtin" else env_backend_of(settings, loaded.name)
        rows.append(SolutionRow(loaded.name, solution_status(settings, loaded), disk, backend))
    return rows


def read_tail(path: str | Path, max_lines: int = 2000) -> str:
    """The last `max_lines` lines of a text file, read from the end (logs can be large)."""
    p = Path(path)
    with p.open("rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        block, data = 64 * 1024, b""
        while size > 0 and data.count(b"\n") <= max_lines:
            step = min(block, size)
            size -= step
            f.seek(size)
            data = f.read(step) + data
    lines = data.decode("utf-8", errors="replace").splitlines()
    return "\n".join(lines[-max_lines:])


@dataclass(frozen=True)
class GpuProcessRow:
    pid: int
    gpu: int
    used_bytes: int | None
    job_id: str | None
    solution: str | None
    command: str


def attribute_processes(readings: Iterable, job_roots: dict[int, tuple[str, str]]) -> list[GpuProcessRow]:
    """Name the job and solution owning each GPU process: a process belongs to a job when it is the job's
    root pid or a descendant of it. `job_roots`: root pid -> (job id, solution).

    Stop-gap: MonitorSnapshot carries per-job totals but not the per-process list with owners, so the TUI
    re-reads the backend's processes on the sampler thread and walks the trees itself (see the TUI notes)."""
    import psutil

    from thtui.core.monitor.membership import ancestor_in

    rows = []
    for r in readings:
        try:
            proc = psutil.Process(r.pid)
            command = " ".join(proc.cmdline()[:3]) or proc.name()
        except psutil.Error:
            command = "(not visible here)"
        # Each GPU process's parents, walked up to a job's root: a few /proc reads, where psutil's
        # children(recursive=True) per job read every process's stat twice a second (issue 10).
        root = ancestor_in(r.pid, job_roots)
        job = job_roots.get(root) if root is not None else None
        rows.append(
            GpuProcessRow(
                r.pid, r.gpu_index, r.used_bytes, job[0] if job else None, job[1] if job else None, command
            )
        )
    rows.sort(key=lambda row: (row.gpu, -(row.used_bytes or 0)))
    return rows


def frame_pixels(video: str | Path, max_cols: int, max_rows: int, scratch: Path) -> tuple:
    """The middle frame of `video` (thtui.core.media.thumbnail), shrunk to at most max_cols x (2 * max_rows)
    pixels (two pixels per terminal cell), as rows of (r, g, b)."""
    from PIL import Image

    from thtui.core.media import probe, thumbnail

    scratch.mkdir(parents=True, exist_ok=True)
    middle = (probe(video).duration_s or 0.0) / 2  # the first frame is often a fade-in or a still face
    png = thumbnail(video, scratch / "preview.png", middle, width=max(64, 4 * max_cols))
    with Image.open(png) as img:
        return image_pixels(img, max_cols, max_rows)


def image_pixels(image, max_cols: int, max_rows: int) -> tuple:
    img = image.convert("RGB")
    w, h = img.size
    scale = min(max_cols / w, (2 * max_rows) / h)
    cols = max(1, int(w * scale))
    rows = max(2, int(h * scale) // 2 * 2)
    img = img.resize((cols, rows))
    data = list(img.get_flattened_data()) if hasattr(img, "get_flattened_data") else list(img.getdata())
    return tuple(tuple(data[y * cols : (y + 1) * cols]) for y in range(rows))


def tts_options(settings: Settings) -> dict[str, list[str]]:
    """TTS backend -> voices offered in the Run form (the first is the default). Piper: the bundled voice
    and any voice already downloaded; Coqui: its default model (needs its env: `thtui setup coqui`)."""
    from thtui.core.tts import BACKENDS
    from thtui.core.tts.coqui_backend import DEFAULT_MODEL
    from thtui.core.tts.piper_backend import BUNDLED_VOICE, voices_dir

    cached = (
        sorted(p.name.removesuffix(".onnx") for p in voices_dir(settings).rglob("*.onnx"))
        if voices_dir(settings).is_dir()
        else []
    )
    voices = {"piper": [BUNDLED_VOICE, *[v for v in cached if v != BUNDLED_VOICE]], "coqui": [DEFAULT_MODEL]}
    return {backend: voices.get(backend, []) for backend in BACKENDS}


def cluster_run_problem(settings: Settings, catalog: Catalog, spec) -> str | None:
    """Why the cluster refuses `spec` (Ray missing, the head unreachable, a solution no live node has ready),
    in the core's words, or None. The check `thtui run --cluster` makes (thtui.cli.cluster_cmd): it imports
    Ray and connects, so it is slow: the Run form calls it from a worker."""
    from thtui.core.cluster.connect import disconnect
    from thtui.core.cluster.head import cluster_preflight
    from thtui.core.jobs.spec import RunError

    _fault_handler_on_the_real_stderr()
    try:
        cluster_preflight(settings, catalog, spec)
    except RunError as exc:
        return str(exc)
    finally:
        # The TUI must not stay a Ray driver between runs (Ray ends a connected process ~60 s after the
        # head goes away): the run connects again, and its end disconnects (thtui.core.cluster.connect).
        disconnect()
    return None


def _fault_handler_on_the_real_stderr() -> None:
    """`ray.init` turns on faulthandler with sys.stderr, which under Textual is a capture whose fileno() is -1:
    faulthandler raises RuntimeError (Ray catches only UnsupportedOperation) and the connect fails with "file.
    fileno() is not a valid file descriptor". Turned on here first, on the terminal's own stderr, Ray leaves it."""
    import faulthandler
    import sys

    if faulthandler.is_enabled():
        return
    real = sys.__stderr__
    try:
        if real is not None and real.fileno() >= 0:
            faulthandler.enable(file=real, all_threads=False)
    except (OSError, ValueError, RuntimeError):  # no usable stderr at all: Ray's own attempt will say so
        pass
