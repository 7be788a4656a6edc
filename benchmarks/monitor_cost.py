#!/usr/bin/env python3
"""What does thtui's Monitor cost, watching one job, against a bare NVML loop doing the same queries?

    python benchmarks/monitor_cost.py --backend nvml           # real NVIDIA GPU: a torch job holds 8 GiB
    python benchmarks/monitor_cost.py --backend fake           # anywhere: FakeGpuBackend, a sleeping job
    python benchmarks/monitor_cost.py --backend fake --legacy --seconds 5 --rates 4,10
    python benchmarks/monitor_cost.py --backend nvml --profile  # + CPU per sample of each part of thtui's

How it is measured: one job is started the way the runner starts jobs (ProcessTree: own session; a
parent python that starts the child holding the memory, as `conda run` starts python). Then, for each
rate, in this one process and one after the other:
- thtui: Monitor(backend, rate_hz) with the job watched and attached (device, host, the job's RSS/CPU and
  per-process VRAM attribution) on its own sampler thread;
- bare: a thread at the same rate making the same device and process queries and nothing else (NVML:
  utilisation, memory, temperature, power, compute and graphics processes of every GPU; the energy
  counter is timed but not looped, since thtui reads it only at a job's start and end; fake: the fake
  backend's read_devices() and read_processes());
- with --legacy, "members-each": this Monitor with the job's tree looked up in the whole process table on
  every sample (ProcessTree.members() each time, as the sampler did before issue 10; the other savings,
  host readings at 2 Hz and one /proc read per member, stay on, so the old code cost more than this).
Cost = CPU time of this process (time.process_time: every thread) over --seconds of wall time, after a
1 s warm-up, as % of one core. The main thread only sleeps meanwhile; the job is another process and is
not counted. Target (issue 10): thtui at 10 Hz with one job watched costs at most 1 % of one core.
Exit status 1 when the target is missed, or when thtui attributed the wrong VRAM to the job.

--profile: where thtui's sampler spends its CPU, after the table: each part's thread CPU time
(time.thread_time, the sampler thread's own) per sample, measured in an extra thtui run at the highest
rate with the parts wrapped (the wrapping costs a little; the table's numbers are from unwrapped runs).

Needs only psutil (and nvidia-ml-py + torch for --backend nvml): it runs on a bare GPU box from a clone.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from thtui.core.jobs.proctree import ProcessTree  # noqa: E402  (psutil only)
from thtui.core.monitor import FakeGpuBackend, MiB, Monitor  # noqa: E402
from thtui.core.monitor import membership as membership_rates  # noqa: E402

TARGET_PCT_AT_10HZ = 1.0
PER_JOB_ONLY = {"energy"}  # NVML queries the sampler makes at a job's start and end, not per sample
GiB = 1024 * MiB

# The job's parent: starts the holder and waits (like `conda run` in front of python).
PARENT = (
    "import subprocess, sys; sys.exit(subprocess.call([sys.executable, '-c', sys.argv[1], *sys.argv[2:]]))"
)
# The holder: torch allocates N MiB on the GPU (every page committed) and holds it.
TORCH_HOLDER = r"""
import os, sys, time, torch
block = torch.empty(int(sys.argv[1]) * 2**20, dtype=torch.uint8, device="cuda"); block.fill_(1)
torch.cuda.synchronize()
print(os.getpid(), flush=True)
time.sleep(3600)
"""
SLEEP_HOLDER = "import os, time; print(os.getpid(), flush=True); time.sleep(3600)"


def start_job(backend_kind: str, mib: int) -> tuple[ProcessTree, int]:
    code = TORCH_HOLDER if backend_kind == "nvml" else SLEEP_HOLDER
    tree = ProcessTree.spawn(
        [sys.executable, "-c", PARENT, code, str(mib)], cwd=tempfile.gettempdir(), env=dict(os.environ)
    )
    line = tree.popen.stdout.readline()
    if not line.strip():
        err = tree.popen.stderr.read().decode(errors="replace")[-2000:]
        raise SystemExit(f"the job did not start:\n{err}")
    return tree, int(line)


def cpu_over(seconds: float, start: Callable[[], None], stop: Callable[[], None]) -> float:
    """% of one core this process used over `seconds` of wall time while `start`ed (after 1 s warm-up)."""
    start()
    time.sleep(1.0)
    c0, w0 = time.process_time(), time.monotonic()
    time.sleep(seconds)
    c1, w1 = time.process_time(), time.monotonic()
    stop()
    return 100.0 * (c1 - c0) / (w1 - w0)


class PartTimes:
    """CPU time of the calling thread spent in wrapped callables, per name (for --profile)."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, name: str, fn: Callable) -> Callable:
        @functools.wraps(fn)  # keeps the signature, which Monitor inspects (read_devices' energy flag)
        def timed(*a, **kw):
            t0 = time.thread_time()
            try:
                return fn(*a, **kw)
            finally:
                self.cpu[name] = self.cpu.get(name, 0.0) + time.thread_time() - t0
                self.calls[name] = self.calls.get(name, 0) + 1

        return timed


def profile_thtui(backend, tree: ProcessTree, gpu: int, rate: float, seconds: float) -> None:
    """One more thtui run at `rate` with the sampler's parts wrapped: CPU per sample of each part."""
    from thtui.core.monitor import membership, sampler

    parts = PartTimes()
    saved_backend = (backend.read_devices, backend.read_processes)
    backend.read_devices = parts.wrap("GPU devices (backend)", backend.read_devices)
    backend.read_processes = parts.wrap("GPU processes (backend)", backend.read_processes)
    monitor = Monitor(backend, rate_hz=rate)  # after wrapping the backend: it binds read_devices
    monitor.sample_once = parts.wrap("sample (all)", monitor.sample_once)
    monitor._host.read = parts.wrap("host cpu/ram (psutil)", monitor._host.read)
    monitor._account = parts.wrap("job accounting (all)", monitor._account)
    saved_cls = {n: getattr(membership.Membership, n) for n in ("members", "usage", "owns")}
    for n, fn in saved_cls.items():
        setattr(membership.Membership, n, parts.wrap(f"  membership.{n}", fn))
    saved_visible = sampler._pids_visible
    sampler._pids_visible = parts.wrap("pids visible (/proc stat)", saved_visible)
    monitor.watch("bench", gpu).attach(tree)
    try:
        cpu_over(seconds, monitor.start, monitor.stop)
    finally:
        for n, fn in saved_cls.items():
            setattr(membership.Membership, n, fn)
        sampler._pids_visible = saved_visible
        backend.read_devices, backend.read_processes = saved_backend
    n = max(1, parts.calls.get("sample (all)", 0))
    print(f"\n--profile: thtui at {rate:g} Hz, {n} samples; thread CPU per sample (share of the sample)")
    total = parts.cpu.get("sample (all)", 0.0)
    for name in sorted(parts.cpu, key=lambda k: -parts.cpu[k]):
        per = parts.cpu[name] / n * 1e6
        share = f"{100 * parts.cpu[name] / total:.0f} %" if total else "n/a"
        print(f"  {name:<28} {per:8.0f} us  ({share}; {parts.calls[name]} calls)")
    print(f"  => {total / n * rate * 100:.2f} % of one core at {rate:g} Hz from the sampler thread alone")


def bare_loop(queries: Callable[[], None], rate: float) -> tuple[Callable[[], None], Callable[[], None]]:
    halt = threading.Event()

    def loop() -> None:  # the same pacing as Monitor._loop
        period, next_at = 1.0 / rate, time.monotonic()
        while not halt.is_set():
            queries()
            next_at += period
            halt.wait(max(0.0, next_at - time.monotonic()))

    thread = threading.Thread(target=loop, daemon=True)
    return thread.start, lambda: (halt.set(), thread.join())


def nvml_queries() -> Callable[[], None]:
    """The queries thtui's sampler makes each sample through NvmlBackend, minus those this GPU refuses
    (NotSupported, FunctionNotFound): the backend stops asking those after the first refusal, so the bare
    loop does too. The energy counter is timed here but not looped: the sampler reads it only when a job
    starts and ends (read_devices(energy=False) per sample), and so does not the bare loop. Both
    process lists are looped every sample, although thtui reads them only when memory use changed."""
    import pynvml as nv

    nv.nvmlInit()
    handles = [nv.nvmlDeviceGetHandleByIndex(i) for i in range(nv.nvmlDeviceGetCount())]
    wanted = [
        ("util", nv.nvmlDeviceGetUtilizationRates, ()),
        ("mem", nv.nvmlDeviceGetMemoryInfo, ()),
        ("temp", nv.nvmlDeviceGetTemperature, (nv.NVML_TEMPERATURE_GPU,)),
        ("power", nv.nvmlDeviceGetPowerUsage, ()),
        ("energy", nv.nvmlDeviceGetTotalEnergyConsumption, ()),
        ("compute procs", getattr(nv, "nvmlDeviceGetComputeRunningProcesses_v3", None), ()),
        ("graphics procs", getattr(nv, "nvmlDeviceGetGraphicsRunningProcesses_v3", None), ()),
    ]
    calls = []
    for h in handles:
        for name, fn, args in wanted:
            if fn is None:
                continue
            try:
                fn(h, *args)
            except nv.NVMLError as exc:
                print(f"  bare loop skips {name}: {exc}")
                continue
            n = 200
            t0, c0 = time.perf_counter(), time.thread_time()
            for _ in range(n):
                fn(h, *args)
            wall, cpu = (time.perf_counter() - t0) / n * 1e6, (time.thread_time() - c0) / n * 1e6
            per_sample = name not in PER_JOB_ONLY
            note = "" if per_sample else " - read at a job's start and end only, not looped"
            print(f"  NVML {name}: {wall:.0f} us wall, {cpu:.0f} us CPU per call ({n} calls){note}")
            if per_sample:
                calls.append((fn, h, args))

    def queries() -> None:
        for fn, h, args in calls:
            fn(h, *args)

    return queries


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backend", choices=["fake", "nvml"], default="fake")
    ap.add_argument("--seconds", type=float, default=15.0, help="measured wall time per case")
    ap.add_argument("--rates", default="4,10", help="sampling rates in Hz, comma-separated")
    ap.add_argument("--job-mib", type=int, default=8192, help="memory the job holds (MiB)")
    ap.add_argument("--gpu", type=int, default=0)
    ap.add_argument("--legacy", action="store_true", help="also measure members() on every sample")
    ap.add_argument("--profile", action="store_true", help="then CPU per sample of each part of thtui's")
    args = ap.parse_args()
    rates = [float(r) for r in args.rates.split(",")]

    tree, holder = start_job(args.backend, args.job_mib)
    if args.backend == "nvml":
        from thtui.core.monitor import NvmlBackend

        backend = NvmlBackend()
        queries = nvml_queries()
    else:
        backend = FakeGpuBackend()
        backend.set_process(holder, args.job_mib * MiB, gpu=args.gpu)

        def queries() -> None:
            backend.read_devices()
            backend.read_processes()

    print(
        f"backend {args.backend}; job: pid {tree.pid} -> holder {holder} with {args.job_mib} MiB on GPU {args.gpu}"
    )
    print(f"{os.cpu_count()} CPUs, {len(os.listdir('/proc'))} /proc entries, python {sys.version.split()[0]}")
    print(
        f"cost = CPU time of this process over {args.seconds:g} s wall (after 1 s warm-up), % of one core\n"
    )

    failures: list[str] = []
    results: dict[tuple[str, float], float] = {}
    cases = ["bare", "thtui"] + (["members-each"] if args.legacy else [])
    try:
        for rate in rates:
            for case in cases:
                if case == "bare":
                    start, stop = bare_loop(queries, rate)
                    results[case, rate] = cpu_over(args.seconds, start, stop)
                    continue
                saved = (membership_rates.FAST_REFRESH_S, membership_rates.DEEP_REFRESH_S)
                if case == "members-each":  # every sample is a deep refresh: tree.members() each time
                    membership_rates.FAST_REFRESH_S = membership_rates.DEEP_REFRESH_S = 0.0
                monitor = Monitor(backend, rate_hz=rate)
                monitor.watch("bench", args.gpu).attach(tree)
                try:
                    results[case, rate] = cpu_over(args.seconds, monitor.start, monitor.stop)
                finally:
                    membership_rates.FAST_REFRESH_S, membership_rates.DEEP_REFRESH_S = saved
                usage = monitor.latest.job("bench") if monitor.latest else None
                stats = monitor.unwatch("bench")
                vram = usage.vram_bytes if usage else None
                want_min = args.job_mib * MiB
                if usage is None or usage.attribution != "process" or vram is None or vram < want_min:
                    failures.append(
                        f"{case} at {rate:g} Hz attributed {vram} bytes ({usage and usage.attribution})"
                    )
                print(f"  {case:<12} {rate:>4g} Hz: job VRAM {None if vram is None else round(vram / MiB)} MiB "
                      f"({usage and usage.attribution}), {usage and usage.n_procs} processes, "
                      f"{stats.n_samples} samples, job energy {stats.energy_j} J ({stats.energy_method})")  # fmt: skip
        if args.profile:
            profile_thtui(backend, tree, args.gpu, max(rates), args.seconds)
    finally:
        tree.terminate(grace=3)
        backend.close()

    print(f"\n| rate | {' | '.join(cases)} | thtui / bare | target |")
    print("|---|" + "---|" * (len(cases) + 2))
    for rate in rates:
        cells = " | ".join(f"{results[c, rate]:.2f} %" for c in cases)
        bare = results["bare", rate]
        ratio = f"{results['thtui', rate] / bare:.1f}x" if bare > 0 else "n/a"
        if rate == 10:
            ok = results["thtui", rate] <= TARGET_PCT_AT_10HZ
            target = f"<= {TARGET_PCT_AT_10HZ:g} % of one core: {'PASS' if ok else 'FAIL'}"
            if not ok:
                failures.append(f"thtui at 10 Hz costs {results['thtui', rate]:.2f} % of one core")
        else:
            target = "(target stated at 10 Hz)"
        print(f"| {rate:g} Hz | {cells} | {ratio} | {target} |")
    for f in failures:
        print(f"FAIL: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
