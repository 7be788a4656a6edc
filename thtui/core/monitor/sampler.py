"""The one sampler thread: reads GPUs (backend) and host (psutil) at `rate_hz`, accounts watched jobs,
keeps a bounded history and hands each MonitorSnapshot to subscribers.

    monitor = Monitor(open_backend(), rate_hz=4)
    unsubscribe = monitor.subscribe(on_snapshot, max_hz=2)   # called on the sampler thread
    monitor.start()
    w = monitor.watch("run/job", gpu_index=0)   # just before spawning: device baseline, energy start
    w.attach(process_tree)                      # right after spawning
    stats = monitor.unwatch("run/job")          # after the job ended: JobUsageStats
    monitor.stop()

Subscribers must be quick (post a message, set a value); a subscriber that raises is dropped from
nothing and breaks nothing: its error is counted in `subscriber_errors`.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from functools import partial

import psutil

from thtui.core.monitor.backends import GpuBackend, NullGpuBackend
from thtui.core.monitor.host import HostSampler
from thtui.core.monitor.membership import HAS_PROC
from thtui.core.monitor.snapshots import GpuProcessReading, GpuReading, JobUsage, MonitorSnapshot
from thtui.core.monitor.watch import JobUsageStats, JobWatch, RawSample, combine

Subscriber = Callable[[MonitorSnapshot], None]
PROCESS_REFRESH_S = 1.0  # the per-process list is re-read at least this often (see Monitor._processes)

_DELTA = "device-level delta (memory used on the GPU minus its value when the job started; includes any other process's changes there)"
CONTAINER_NOTE = f"NVML process ids are not visible in this PID namespace (container): {_DELTA}"
NO_PROC_MEM_NOTE = f"the driver reports no per-process memory (MIG/WDDM): {_DELTA}"


class Monitor:
    def __init__(self, backend: GpuBackend | None = None, rate_hz: float = 4.0, history: int = 1200):
        if rate_hz <= 0:
            raise ValueError("rate_hz must be positive")
        self.backend: GpuBackend = backend or NullGpuBackend()
        self.rate_hz = rate_hz
        self._history: deque[MonitorSnapshot] = deque(maxlen=history)
        self._host = HostSampler()
        self._watches: dict[str, JobWatch] = {}
        self._subs: list[tuple[Subscriber, float, list[float]]] = []
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.subscriber_errors = 0
        self._procs_read: tuple[float, tuple, list[GpuProcessReading]] | None = None
        self._read_devices_per_sample = _without_energy(self.backend)
        self._visible_for: tuple[list[GpuProcessReading], bool] | None = None

    # ---- lifecycle --------------------------------------------------------------------------------
    def start(self) -> Monitor:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="thtui-monitor", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self.backend.close()

    def __enter__(self) -> Monitor:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ---- subscribers and history -----------------------------------------------------------------
    def subscribe(self, callback: Subscriber, max_hz: float | None = None) -> Callable[[], None]:
        """Call `callback(snapshot)` on the sampler thread, at most `max_hz` times a second.
        Returns a function that unsubscribes."""
        entry = (callback, 1.0 / max_hz if max_hz else 0.0, [0.0])
        with self._lock:
            self._subs.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subs:
                    self._subs.remove(entry)

        return unsubscribe

    def history(self) -> list[MonitorSnapshot]:
        with self._lock:
            return list(self._history)

    @property
    def latest(self) -> MonitorSnapshot | None:
        with self._lock:
            return self._history[-1] if self._history else None

    # ---- jobs -------------------------------------------------------------------------------------
    def _device(self, gpus: tuple[int, ...]) -> GpuReading | None:
        if not gpus:
            return None
        try:
            return combine(self.backend.read_devices(), gpus)
        except Exception:
            return None

    def watch(self, job_id: str, gpu_index: int | Sequence[int] | None) -> JobWatch:
        """Start accounting a job; call just before it spawns. Reads the device now (baseline, energy).
        A job holding several GPUs (torchrun ranks) passes them all and is accounted over all of them."""
        gpus = () if gpu_index is None else (gpu_index,) if isinstance(gpu_index, int) else tuple(gpu_index)
        w = JobWatch(job_id, gpus, self._device(gpus), self.rate_hz, time.monotonic())
        with self._lock:
            self._watches[job_id] = w
        return w

    def unwatch(self, job_id: str) -> JobUsageStats:
        """Stop accounting a job and summarise it (reads the device once more for the energy counter)."""
        with self._lock:
            w = self._watches.pop(job_id)
        return w.finish(self._device(w.gpus), time.monotonic())

    # ---- sampling ---------------------------------------------------------------------------------
    def _loop(self) -> None:
        period = 1.0 / self.rate_hz
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.sample_once()
            next_at += period
            delay = next_at - time.monotonic()
            if delay < 0:  # fell behind (a slow NVML call): skip ahead instead of bursting
                next_at = time.monotonic()
                delay = 0
            self._stop.wait(delay)

    def sample_once(self) -> MonitorSnapshot:
        """Take one reading, account watched jobs, store and publish it. Callable without the thread."""
        t = time.monotonic()
        gpu_error = self.backend.error
        try:
            gpus = self._read_devices_per_sample()
            procs = self._processes(t, gpus)
        except Exception as exc:  # a GPU that fell off the bus must not kill host monitoring
            gpus, procs, gpu_error = [], [], f"GPU read failed: {exc}"
        pids_visible = self._pids_visible(procs)
        host = self._host.read(t)
        with self._lock:
            watches = list(self._watches.values())
        usages = tuple(self._account(w, t, gpus, procs, pids_visible) for w in watches)
        snap = MonitorSnapshot(
            t=t, gpus=tuple(gpus), host=host, jobs=usages, gpu_error=gpu_error, pids_visible=pids_visible
        )
        with self._lock:
            self._history.append(snap)
            subs = list(self._subs)
        for callback, min_gap, last in subs:
            if min_gap and t - last[0] < min_gap:
                continue
            last[0] = t
            try:
                callback(snap)
            except Exception:
                self.subscriber_errors += 1
        return snap

    def _processes(self, t: float, gpus: list[GpuReading]) -> list[GpuProcessReading]:
        """NVML's per-process list, read again only when some GPU's memory use changed since the last
        read (or PROCESS_REFRESH_S passed, or a GPU reports no memory figure). A process's memory cannot
        change while its device's total stays byte-identical, except when two processes trade the same
        amount within one sample; then the list is at most PROCESS_REFRESH_S old. The process queries
        are the dearest NVML calls of a sample, and between allocations the memory is steady."""
        key = tuple((g.index, g.mem_used) for g in gpus)
        last = self._procs_read
        if (
            last is not None
            and last[1] == key
            and t - last[0] < PROCESS_REFRESH_S
            and all(g.mem_used is not None for g in gpus)
        ):
            return last[2]
        procs = self.backend.read_processes()
        self._procs_read = (t, key, procs)
        return procs

    def _pids_visible(self, procs: list[GpuProcessReading]) -> bool:
        """_pids_visible(procs), asked again only when NVML's list was read again (see _processes)."""
        last = self._visible_for
        if last is not None and last[0] is procs:
            return last[1]
        visible = _pids_visible(procs)
        self._visible_for = (procs, visible)
        return visible

    def _account(
        self,
        w: JobWatch,
        t: float,
        gpus: list[GpuReading],
        procs: list[GpuProcessReading],
        pids_visible: bool,
    ) -> JobUsage:
        membership = w.membership
        dev = combine(gpus, w.gpus)  # a multi-GPU job: its GPUs summed
        ours: list[GpuProcessReading] = []
        rss, cpu, pids = 0, 0.0, set()
        if membership is not None:
            membership.members(t)  # cached; refreshed at a lower rate (membership.py)
            if dev is not None and pids_visible:
                # NVML's list, walked up to the job (cheap, cached per pid), instead of the job's tree
                # looked for in the whole process table: a process that just took memory counts at once.
                ours = [p for p in procs if p.gpu_index in w.gpus and membership.owns(p.pid)]
            rss, cpu, pids = membership.usage(t)
        proc_bytes: int | None = None
        delta: int | None = None
        reason: str | None = None
        if dev is not None:
            if not pids_visible:
                reason = CONTAINER_NOTE
            elif any(p.used_bytes is None for p in ours):
                reason = NO_PROC_MEM_NOTE
            else:
                proc_bytes = sum(p.used_bytes or 0 for p in ours)
            if dev.mem_used is not None and w.baseline is not None:
                delta = max(0, dev.mem_used - w.baseline)
        if w.tree is not None:  # before attach() there is no process to account
            w.add(RawSample(t, dev.util_pct if dev else None, proc_bytes, delta,
                            dev.mem_used if dev else None, dev.power_w if dev else None,
                            rss, cpu, len(pids), reason))  # fmt: skip
        if dev is None:
            attribution, vram = "none", None
        elif reason:
            attribution, vram = "device-delta", delta
        else:
            attribution, vram = "process", proc_bytes
        return JobUsage(
            w.job_id, w.gpu_index, vram, proc_bytes, delta, attribution, rss, cpu, len(pids), w.gpus
        )


def _without_energy(backend: GpuBackend) -> Callable[[], list[GpuReading]]:
    """The backend's read_devices for the sampler's per-sample reads: without the energy counter when
    the backend can skip it. Snapshots then carry energy_mj None; a job's energy comes from the counter
    read in watch() and unwatch() (full reads), so it stays exact."""
    import inspect  # here, not at the top: once per Monitor, and start-up does not pay for it

    read = backend.read_devices
    try:
        takes_flag = "energy" in inspect.signature(read).parameters
    except (TypeError, ValueError):  # a callable without a signature: call it as it is
        takes_flag = False
    return partial(read, energy=False) if takes_flag else read


def _pids_visible(procs: list[GpuProcessReading]) -> bool:
    """False when NVML lists processes and none of them exists here: we are in another PID namespace.
    (With no GPU processes at all there is nothing to disagree with, so we assume visible.)"""
    if not procs:
        return True
    if HAS_PROC:  # a stat of /proc/<pid>; psutil.pid_exists also reads its status file (10 Hz adds up)
        return any(os.path.exists(f"/proc/{p.pid}") for p in procs)
    return any(psutil.pid_exists(p.pid) for p in procs)
