#!/usr/bin/env python3
"""What running on a Ray cluster costs per job, against the single-box path, and what more nodes buy.

    python benchmarks/cluster_overhead.py [--jobs 16] [--delay 1.0] [--nodes 1,2,4]

The same run (the stand-in solution, tests/fixtures/solutions/standin, --repeat JOBS) goes through:
  single box   thtui.core.jobs.start_run on this machine, one fake GPU;
  N nodes      the same start_run with --cluster: a real local Ray cluster (ray.cluster_utils.Cluster,
               tests/integration/cluster/clusterlab.py) of N nodes, each with one fake GPU and its own
               THTUI_HOME; the Ray head is node 1; nodes are added between measurements.
For each: wall time of the whole run, speed-up against the single box, and the per-job overhead
    overhead/job = (wall x GPUs - sum of the jobs' own wall_s) / jobs
i.e. GPU-slot time not spent inside a job's process (harness, Ray placement, object store, shipping the
files back, the head storing them). "Ray's added latency per job" = overhead/job (N nodes) - overhead/job
(single box). Not a test: all nodes share this machine's cores, so past a few nodes they contend.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "integration" / "cluster")]

from stand_ins.installed import standin_home  # noqa: E402

from thtui.core.jobs import RunResult, RunSpec, start_run  # noqa: E402
from thtui.core.monitor import FakeGpuBackend, Monitor  # noqa: E402
from thtui.core.store import Store  # noqa: E402

IMAGE, AUDIO = REPO / "assets" / "portrait.jpg", REPO / "assets" / "speech.wav"


def run_once(settings, catalog, spec: RunSpec) -> tuple[float, RunResult]:
    monitor = Monitor(FakeGpuBackend(), rate_hz=4).start()
    store = Store(settings.db_path)
    t0 = time.perf_counter()
    try:
        result = start_run(settings, catalog, spec, monitor=monitor, store=store, fingerprint=False)
    finally:
        wall = time.perf_counter() - t0
        monitor.close()
        store.close()
    bad = [j.job.job_id for j in result.jobs if j.status != "ok"]
    if bad:
        raise SystemExit(f"jobs failed: {bad}")
    return wall, result


def overhead(wall: float, gpus: int, result: RunResult) -> float:
    own = sum(j.metrics.wall_s or 0.0 for j in result.jobs)
    return (wall * gpus - own) / len(result.jobs)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", type=int, default=16)
    p.add_argument("--delay", type=float, default=1.0, help="the stand-in's own 'inference' seconds")
    p.add_argument("--nodes", default="1,2,4", help="node counts to measure, ascending")
    args = p.parse_args()
    counts = sorted({int(n) for n in args.nodes.split(",")})
    os.environ.update({"STANDIN_MODE": "ok", "STANDIN_DELAY": str(args.delay)})
    rows: list[tuple[str, float, int, float, float]] = []

    with tempfile.TemporaryDirectory(prefix="thtui-cluster-bench-") as tmp:
        root = Path(tmp)
        settings, catalog = standin_home(root / "single")
        spec = RunSpec(
            solutions=("standin",), images=(IMAGE,), audios=(AUDIO,), repeat=args.jobs, score=False
        )
        wall, result = run_once(settings, catalog, spec)
        rows.append(("single box (1 GPU)", wall, 1, overhead(wall, 1, result), wall))

        from clusterlab import start_lab, stop_lab

        t0 = time.perf_counter()
        lab = start_lab(root / "cluster", "node-1", ("standin",), delay=str(args.delay))
        print(f"cluster head + node-1 up in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        try:
            for n in counts:
                while len(lab.nodes) < n:
                    lab.add_node(f"node-{len(lab.nodes) + 1}", ("standin",))
                spec = RunSpec(solutions=("standin",), images=(IMAGE,), audios=(AUDIO,), repeat=args.jobs,
                               score=False, cluster=lab.address)  # fmt: skip
                wall, result = run_once(lab.head, lab.catalog, spec)
                used = {j.metrics.extra["cluster_node"] for j in result.jobs}
                rows.append(
                    (f"{n} node(s) ({len(used)} used)", wall, n, overhead(wall, n, result), rows[0][1])
                )
        finally:
            stop_lab(lab)

    base = rows[0][3]
    print(f"{args.jobs} jobs of the stand-in ({args.delay:g} s each), one fake GPU per node/box\n")
    print(f"{'path':<22} {'wall s':>8} {'speed-up':>9} {'overhead/job s':>15} {'vs single box s':>16}")
    for name, wall, _, oh, single in rows:
        print(f"{name:<22} {wall:8.2f} {single / wall:8.2f}x {oh:15.3f} {oh - base:+16.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
