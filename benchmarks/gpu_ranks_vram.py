#!/usr/bin/env python3
"""Is a job of several processes (torchrun ranks) accounted as one? (real NVIDIA GPU(s))

    python benchmarks/gpu_ranks_vram.py                 # 2 ranks: 4096 and 8192 MiB, on GPUs 0..N-1
    python benchmarks/gpu_ranks_vram.py --ranks 4 --mib 2048

The job is one root process that starts --ranks children, like torchrun's agent; rank i allocates (i+1) x
--mib MiB with torch (every page committed) on the i-th GPU the job holds (rank i % GPUs when there are fewer
GPUs than ranks), holds it for --hold seconds and exits. thtui measures the job the way the runner measures a
multi-GPU job: ProcessTree (its own session) + Monitor.watch(job, all its GPUs) (NVML per-process memory
summed over the whole tree, on every GPU of the job). It needs torch, psutil and nvidia-ml-py only.

Prints each rank's allocation, the job's reported peak and the sum of the allocations. Exit status 1 when the
peak is below the sum (a rank was missed) or above the sum plus 1.5 GiB per rank (CUDA contexts, ~0.5 GiB).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from thtui.core.jobs.proctree import ProcessTree  # noqa: E402  (psutil only)
from thtui.core.monitor import MiB, Monitor, NvmlBackend  # noqa: E402  (psutil + nvidia-ml-py)

CONTEXT_MAX_MIB = 1536  # per rank: torch's CUDA context is ~0.5 GiB on Hopper; generous on purpose

# The job's root: start the ranks (each its own python), wait for them, exit with the worst status.
ROOT = r"""
import os, subprocess, sys
n, mib, hold = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
visible = [v for v in os.environ.get("CUDA_VISIBLE_DEVICES", "0").split(",") if v.strip()]
ranks = [subprocess.Popen([sys.executable, "-c", sys.argv[4], str(i), str(mib * (i + 1)), hold, str(i % len(visible))])
         for i in range(n)]
sys.exit(max(p.wait() for p in ranks))
"""
RANK = r"""
import sys, time, torch
rank, mib, hold, dev = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
torch.cuda.set_device(dev)
block = torch.empty(mib * 1024 * 1024, dtype=torch.uint8, device="cuda"); block.fill_(1); torch.cuda.synchronize()
print(f"rank {rank}: allocated {mib} MiB on cuda:{dev} ({torch.cuda.get_device_name(dev)})", flush=True)
time.sleep(hold)
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--mib", type=int, default=4096, help="rank i allocates (i+1) x this")
    p.add_argument("--hold", type=float, default=4.0)
    p.add_argument("--rate", type=float, default=10.0)
    args = p.parse_args()

    backend = NvmlBackend()
    gpus = tuple(range(min(args.ranks, backend.device_count())))
    monitor = Monitor(backend, rate_hz=args.rate).start()
    env = {"CUDA_VISIBLE_DEVICES": ",".join(map(str, gpus)), "PYTHONUNBUFFERED": "1"}
    argv = [sys.executable, "-c", ROOT, str(args.ranks), str(args.mib), str(args.hold), RANK]
    watch = monitor.watch("ranks-check", gpus if len(gpus) > 1 else gpus[0])
    tree = ProcessTree.spawn(
        argv, cwd=str(REPO), env={**__import__("os").environ, **env}, marker="ranks-check"
    )
    watch.attach(tree)
    out = tree.popen.stdout.read().decode() if tree.popen.stdout else ""
    err = tree.popen.stderr.read().decode() if tree.popen.stderr else ""
    info = tree.wait()
    time.sleep(2 / args.rate)
    stats = monitor.unwatch("ranks-check")
    monitor.close()
    print(out.strip())
    if info is None or info.returncode:
        print(err[-2000:])
    allocated = sum(args.mib * (i + 1) for i in range(args.ranks))
    peak = None if stats.vram_peak_job is None else stats.vram_peak_job / MiB
    print(
        f"GPUs held: {','.join(map(str, gpus))} ({len(gpus)}); ranks: {args.ranks}; exit {info.returncode if info else None}"
    )
    print(f"attribution: {stats.attribution} ({stats.attribution_note})")
    print(f"sum of the ranks' allocations: {allocated} MiB; largest single rank: {args.mib * args.ranks} MiB")
    print(f"thtui's peak VRAM for the job: {peak:.0f} MiB" if peak is not None else "thtui's peak VRAM: none")
    ok = peak is not None and allocated <= peak <= allocated + CONTEXT_MAX_MIB * args.ranks
    print("OK: the job's peak is the sum over its ranks" if ok else "FAIL: the peak is not the ranks' sum")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
