#!/usr/bin/env python3
"""What thtui's runner costs per job, beyond the job's own work.

    python benchmarks/harness_overhead.py [--jobs 10] [--rate 4] [--gpu-backend fake|auto]

Runs the stand-in solution (tests/fixtures/solutions/standin) --jobs times as one run (--repeat N) through
the real scheduler and runner, with the monitor sampling, and splits each job's time into:
    between jobs   previous job stored -> this job spawned: fresh dir, prepared inputs copied, watch
    child startup  spawn -> the child's first line of Python (interpreter start-up; the job's, not ours)
    child runtime  the child's own first line -> its last (measured inside the child)
    exit -> stored the root exited -> result stored: leftover sweep, output found, probed, validated,
                   metrics.json, samples.csv, SQLite, results.jsonl, run.json
Harness overhead = between jobs + exit -> stored (+ process teardown, included in the last column).
Prints a table (mean ± σ, min, max in ms). Not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))  # the stand-in solution and its install

from stand_ins.installed import standin_home  # noqa: E402

from thtui.core.jobs import JobFinished, JobStarted, RunSpec, start_run  # noqa: E402
from thtui.core.monitor import Monitor, open_backend  # noqa: E402
from thtui.core.store import Store  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=10)
    p.add_argument("--rate", type=float, default=4.0, help="monitor sampling rate (Hz)")
    p.add_argument("--gpu-backend", choices=["fake", "auto"], default="fake")
    p.add_argument("--delay", type=float, default=0.2, help="the stand-in's own 'inference' seconds")
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="thtui-overhead-") as tmp:
        root = Path(tmp)
        settings, catalog = standin_home(root)
        times_file = root / "child-times.txt"
        os.environ.update(
            {"STANDIN_MODE": "ok", "STANDIN_DELAY": str(args.delay), "STANDIN_TIMES": str(times_file)}
        )
        started: dict[str, float] = {}
        child: dict[str, tuple[float, float]] = {}

        def sink(e) -> None:
            if isinstance(e, JobStarted):
                started[e.job_id] = e.at
            elif isinstance(e, JobFinished):
                t0, t1 = (float(x) for x in times_file.read_text().split())
                child[e.job_id] = (t0, t1)

        backend = open_backend(args.gpu_backend)
        monitor = Monitor(backend, rate_hz=args.rate).start()
        store = Store(settings.db_path)
        spec = RunSpec(solutions=("standin",), images=(REPO / "assets" / "portrait.jpg",),
                       audios=(REPO / "assets" / "speech.wav",), repeat=args.jobs,
                       gpus=(0,) if backend.device_count() else None)  # fmt: skip
        t_run = time.time()
        result = start_run(settings, catalog, spec, sink, monitor=monitor, store=store, fingerprint=False)
        t_end = time.time()
        monitor.stop()
        jobs = store.list_jobs(result.run_id)
        store.close()

    failed = [j.id for j in jobs if j.status != "ok"]
    if failed:
        print(f"jobs failed: {failed}")
        return 1
    rows: dict[str, list[float]] = {k: [] for k in ("between jobs", "child startup", "child runtime",
                                                     "exit -> stored", "harness overhead", "spawn -> stored")}  # fmt: skip
    prev_stored = None
    for j in jobs:
        spawn, (c0, c1) = started[j.id], child[j.id]
        exit_at = spawn + j.metrics.wall_s
        if prev_stored is not None:
            rows["between jobs"].append(spawn - prev_stored)
        rows["child startup"].append(c0 - spawn)
        rows["child runtime"].append(c1 - c0)
        rows["exit -> stored"].append(j.finished_at - exit_at)
        rows["spawn -> stored"].append(j.finished_at - spawn)
        rows["harness overhead"].append((j.finished_at - spawn) - (c1 - c0))
        prev_stored = j.finished_at

    print(f"{len(jobs)} stand-in jobs (own work ~{args.delay:g} s + an ffmpeg encode), monitor at {args.rate:g} Hz, "
          f"GPU backend {backend.name}; python {sys.version.split()[0]}, {os.cpu_count()} CPUs")  # fmt: skip
    print(f"whole run: {t_end - t_run:.2f} s (input preparation once, then the jobs)\n")
    head = f"{'phase (ms per job)':<22}{'mean':>9}{'σ':>8}{'min':>9}{'max':>9}"
    print(head)
    print("-" * len(head))
    for name, vals in rows.items():
        ms = [v * 1000 for v in vals]
        sd = statistics.stdev(ms) if len(ms) > 1 else 0.0
        print(f"{name:<22}{statistics.fmean(ms):>9.1f}{sd:>8.1f}{min(ms):>9.1f}{max(ms):>9.1f}")
    print("\nharness overhead = spawn -> stored minus the child's own runtime (so it includes the child's")
    print("interpreter start-up and teardown); between jobs is not in it and is listed on its own.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
