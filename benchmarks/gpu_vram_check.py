#!/usr/bin/env python3
"""Does thtui report a job's peak VRAM within 5% of what the job really allocated? (real NVIDIA GPU)

    python benchmarks/gpu_vram_check.py                      # sizes 4096,16384,32768 MiB on GPU 0
    python benchmarks/gpu_vram_check.py --sizes 8192 --gpu 1 --rate 10 --mode monitor

For each size a child process allocates exactly that many MiB with torch (torch.empty(uint8) then fill_,
so every page is committed), holds it for --hold seconds and exits. thtui measures the child the way it
measures every job: ProcessTree (own session, process tree) + Monitor (NVML per-process memory, summed
over the tree; device delta as the fallback).

Modes: "runner" drives the real runner (start_run on the stand-in solution, tests/fixtures/solutions/
standin, mode torch_vram); it needs thtui's own dependencies. "monitor" uses only ProcessTree + Monitor
(the runner's accounting), so it needs nothing but torch, psutil and nvidia-ml-py. "auto" (default)
picks runner when its dependencies import.

The job's peak includes its CUDA context (~0.6 GiB with torch 2.x on an H100: real memory the job
holds). The child creates the context first and waits a second before allocating, so the samples show
the context alone; "expected" = allocation + context. Exit status 1 when the reported peak is more than
5% off the expected footprint, or (from 16 GiB up, where the context is under 5%) off the bare
allocation.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from thtui.core.jobs.proctree import ProcessTree  # noqa: E402  (psutil only)
from thtui.core.monitor import MiB, Monitor, NvmlBackend  # noqa: E402  (psutil + nvidia-ml-py)

TOLERANCE = 0.05

# The child of "monitor" mode: create the CUDA context, say so, wait, allocate, hold, exit.
CHILD = r"""
import sys, time, torch
mb, hold = int(sys.argv[1]), float(sys.argv[2])
torch.zeros(1, device="cuda"); torch.cuda.synchronize()
print("context", flush=True); time.sleep(1.0)
block = torch.empty(mb * 1024 * 1024, dtype=torch.uint8, device="cuda"); block.fill_(1); torch.cuda.synchronize()
free, total = torch.cuda.mem_get_info()
print(f"allocated {mb} reserved {torch.cuda.memory_reserved() // 2**20} cuda_used {(total - free) // 2**20}", flush=True)
time.sleep(hold)
"""


@dataclass
class Row:
    size_mib: int
    mode: str
    peak_mib: float | None
    context_mib: float | None
    delta_peak_mib: float | None
    cuda_used_mib: (
        float | None
    )  # device memory used as the CUDA driver reports it (cudaMemGetInfo), after allocating
    attribution: str
    samples: int
    wall_s: float | None
    status: str

    @property
    def expected_mib(self) -> float | None:
        """What the job really holds: its allocation plus its CUDA context."""
        return None if self.context_mib is None else self.size_mib + self.context_mib

    @property
    def error(self) -> float | None:
        """Reported peak against the allocation plus context (the job's true footprint)."""
        if self.peak_mib is None or self.expected_mib is None:
            return None
        return (self.peak_mib - self.expected_mib) / self.expected_mib

    @property
    def error_vs_allocation(self) -> float | None:
        return None if self.peak_mib is None else (self.peak_mib - self.size_mib) / self.size_mib


def monitor_mode(size: int, gpu: int, hold: float, rate: float, backend: NvmlBackend) -> Row:
    monitor = Monitor(backend, rate_hz=rate).start()
    try:
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": str(gpu), "PYTHONUNBUFFERED": "1"}
        watch = monitor.watch("vram-check", gpu)
        tree = ProcessTree.spawn(
            [sys.executable, "-c", CHILD, str(size), str(hold)], cwd=REPO, env=env, marker="vram-check"
        )
        watch.attach(tree)
        context = cuda_used = None
        for line in tree.popen.stdout:
            if line.startswith(b"context"):
                time.sleep(0.6)  # a few samples of the bare context
                usage = monitor.latest.job("vram-check") if monitor.latest else None
                context = usage.vram_bytes / MiB if usage and usage.vram_bytes is not None else None
            elif line.startswith(b"allocated"):
                cuda_used = float(line.split()[-1])
        info = tree.wait(hold + 120)
        if info is None:
            tree.terminate(5)
        err = tree.popen.stderr.read().decode(errors="replace").strip()
        stats = monitor.unwatch("vram-check")
    finally:
        monitor.stop()
    wall = (tree.exited_at or time.monotonic()) - tree.started_at
    status = (
        "ok"
        if info is not None and info.returncode == 0
        else f"failed: {err.splitlines()[-1] if err else info}"
    )
    return Row(size, "monitor", _mib(stats.vram_peak_job), context, _mib(_delta_peak(stats)), cuda_used,
               stats.attribution, stats.n_samples, wall, status)  # fmt: skip


def _delta_peak(stats) -> float | None:
    if stats.vram_peak_device is None or stats.vram_device_baseline is None:
        return None
    return stats.vram_peak_device - stats.vram_device_baseline


def _mib(value: float | None) -> float | None:
    return None if value is None else value / MiB


def runner_mode(size: int, gpu: int, hold: float, rate: float, backend: NvmlBackend) -> Row:
    """The whole path: catalog, plan, inputs, ProcessTree, Monitor, output, metrics, store."""
    from thtui.core.jobs import RunSpec, start_run
    from thtui.core.store import Store

    sys.path.insert(0, str(REPO / "tests"))  # the stand-in solution and its install
    from stand_ins.installed import standin_home

    with tempfile.TemporaryDirectory(prefix="thtui-vram-") as tmp:
        settings, catalog = standin_home(Path(tmp))  # the "env" is this interpreter (it has torch)
        os.environ.update({"STANDIN_MODE": "torch_vram", "STANDIN_TORCH_VRAM_MB": str(size),
                           "STANDIN_DELAY": str(hold), "STANDIN_STEPS": "10"})  # fmt: skip
        spec = RunSpec(solutions=("standin",), images=(REPO / "assets" / "portrait.jpg",),
                       audios=(REPO / "assets" / "speech.wav",), gpus=(gpu,), timeout=hold + 300)  # fmt: skip
        monitor = Monitor(backend, rate_hz=rate).start()
        store = Store(settings.db_path)
        try:
            result = start_run(settings, catalog, spec, monitor=monitor, store=store, fingerprint=False)
        finally:
            monitor.stop()
            store.close()
        job = result.jobs[0]
        m = job.metrics
        samples = Store(settings.db_path).job_samples(job.job.job_id)
        delta = context = cuda_used = None
        if m.vram_peak_device_mb is not None and samples:
            delta = m.vram_peak_device_mb - min(x.vram_device_mb for x in samples)
        if m.vram_peak_mb is not None:  # the plateau before the allocation: the CUDA context alone
            below = [
                x.vram_job_mb for x in samples if x.vram_job_mb and x.vram_job_mb < m.vram_peak_mb - size / 2
            ]
            context = max(below) if below else None
        log = (Path(job.job.job_dir) / "log.txt").read_text(errors="replace")
        if "CUDA says device used" in log:
            cuda_used = float(log.split("CUDA says device used")[1].split("MiB")[0])
        status = m.status if m.status == "ok" else f"{m.status}: {m.failure_class} {m.failure_message}"
        return Row(size, "runner", m.vram_peak_mb, context, delta, cuda_used, m.vram_attribution, m.n_samples,
                   m.wall_s, status)  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="4096,16384,32768", help="MiB to allocate, comma-separated")
    p.add_argument("--gpu", type=int, default=0)
    p.add_argument("--hold", type=float, default=3.0, help="seconds the allocation is held")
    p.add_argument("--rate", type=float, default=10.0, help="sampling rate (Hz); thtui's default is 4")
    p.add_argument("--mode", choices=["auto", "runner", "monitor", "both"], default="auto")
    args = p.parse_args()

    backend = NvmlBackend()
    dev = backend.read_devices()[args.gpu]
    free_mib = (dev.mem_total - dev.mem_used) / MiB
    print(f"GPU {args.gpu}: {dev.name}, {dev.mem_total / MiB:.0f} MiB total, {free_mib:.0f} MiB free; "
          f"sampling at {args.rate:g} Hz; python {sys.version.split()[0]}")  # fmt: skip
    try:
        import torch

        print(f"torch {torch.__version__}, CUDA {torch.version.cuda}")
    except ImportError:
        print("torch is not importable here: nothing to allocate with")
        return 2
    modes = [args.mode] if args.mode in ("runner", "monitor") else ["monitor", "runner"]
    if args.mode == "auto":
        try:
            import pydantic  # noqa: F401
            import yaml  # noqa: F401

            from thtui.core import inputs  # noqa: F401  (PIL, numpy, ffmpeg-python)

            modes = ["runner"]
        except ImportError as exc:
            print(f"runner mode unavailable ({exc}); using monitor mode (ProcessTree + Monitor)")
            modes = ["monitor"]
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        if size > 0.9 * free_mib:
            print(f"skip {size} MiB: only {free_mib:.0f} MiB free")
            continue
        for mode in modes:
            fn = runner_mode if mode == "runner" else monitor_mode
            rows.append(fn(size, args.gpu, args.hold, args.rate, backend))
            r = rows[-1]
            print(f"  {mode:7} {size:6d} MiB -> peak {r.peak_mib or 0:.0f} MiB, context {r.context_mib or 0:.0f} MiB "
                  f"({r.status})", flush=True)  # fmt: skip

    print()
    head = (f"{'mode':8}{'allocated':>10}{'context':>9}{'expected':>10}{'reported peak':>15}{'error':>8}"
            f"{'vs alloc':>10}{'NVML dev Δ':>12}{'CUDA dev used':>15}{'attribution':>13}{'samples':>9}  status")  # fmt: skip
    print(head)
    print("-" * len(head))
    ok = bool(rows)
    for r in rows:
        err, err_alloc = r.error, r.error_vs_allocation
        ok &= err is not None and abs(err) <= TOLERANCE
        ok &= r.size_mib < 16384 or (err_alloc is not None and abs(err_alloc) <= TOLERANCE)
        print(f"{r.mode:8}{r.size_mib:>6} MiB{_f(r.context_mib, ''):>9}{_f(r.expected_mib, ''):>10}"
              f"{_f(r.peak_mib, ' MiB'):>15}{_pct(err):>8}{_pct(err_alloc):>10}{_f(r.delta_peak_mib, ' MiB'):>12}"
              f"{_f(r.cuda_used_mib, ' MiB'):>15}{r.attribution:>13}{r.samples:>9}  {r.status}")  # fmt: skip
    print(
        "\nexpected = allocated + the job's CUDA context (its memory before allocating, seen in the samples);\n"
        "error = (reported peak - expected) / expected; vs alloc = (reported peak - allocated) / allocated.\n"
        "reported peak = thtui's vram_peak_mb: NVML per-process memory summed over the job's process tree.\n"
        "NVML dev Δ = device memory growth during the job (the container fallback); CUDA dev used =\n"
        "cudaMemGetInfo in the job after allocating (a second API, whole device).\n"
        f"PASS needs |error| <= {TOLERANCE:.0%} for every size and |vs alloc| <= {TOLERANCE:.0%} from 16 GiB up "
        "(below that the context alone is more than 5% of the allocation)."
    )
    print("PASS" if ok else "FAIL")
    backend.close()
    return 0 if ok else 1


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:+.1f}%"


def _f(value: float | None, unit: str, fmt: str = ".0f") -> str:
    return "-" if value is None else f"{value:{fmt}}{unit}"


if __name__ == "__main__":
    raise SystemExit(main())
