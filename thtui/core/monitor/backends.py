"""GPU backends: where device and per-process readings come from.

`NvmlBackend` talks to the driver through nvidia-ml-py (`pynvml`); `FakeGpuBackend` is scriptable for
tests and for machines without a GPU in demos; `NullGpuBackend` is what a machine without NVML gets, so
the host panels still work. `open_backend()` picks the right one and says why.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from thtui.core.monitor.snapshots import GpuProcessReading, GpuReading

BACKEND_ENV = "THTUI_GPU_BACKEND"


@runtime_checkable
class GpuBackend(Protocol):
    """What the sampler needs from a GPU source. Implementations must be callable from any thread."""

    name: str
    error: str | None  # why there are no GPUs, when there are none

    def device_count(self) -> int: ...

    def read_devices(self) -> list[GpuReading]:
        """Every device now, energy counter included. A backend whose energy counter is dear may also
        take `energy=False` (NvmlBackend does): the sampler then skips it on its per-sample reads."""
        ...

    def read_processes(self) -> list[GpuProcessReading]:
        """Processes using GPU memory on every device (compute and graphics, merged per pid+device)."""
        ...

    def close(self) -> None: ...


class NullGpuBackend:
    """No GPU here: every list is empty and `error` says why."""

    name = "none"

    def __init__(self, error: str = "no GPU backend"):
        self.error: str | None = error

    def device_count(self) -> int:
        return 0

    def read_devices(self) -> list[GpuReading]:
        return []

    def read_processes(self) -> list[GpuProcessReading]:
        return []

    def close(self) -> None:
        pass


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class NvmlBackend:
    """Real NVIDIA GPUs via NVML. Each query that a device does not support is remembered and skipped
    (power on some boards, energy before Volta, per-process memory under MIG), so a sample stays cheap."""

    name = "nvml"

    def __init__(self) -> None:
        import pynvml  # nvidia-ml-py; an ImportError here is reported by open_backend()

        self._nv = pynvml
        pynvml.nvmlInit()
        self.error: str | None = None
        self._lock = threading.Lock()
        self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        self._names = [_text(pynvml.nvmlDeviceGetName(h)) for h in self._handles]
        self._unsupported: set[tuple[int, str]] = set()
        # Newest struct first: nvidia-ml-py's default (v3) fails with "function not found" on older drivers.
        self._proc_fns = {
            "compute": ["nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2"],
            "graphics": [
                "nvmlDeviceGetGraphicsRunningProcesses_v3",
                "nvmlDeviceGetGraphicsRunningProcesses_v2",
            ],
        }

    def device_count(self) -> int:
        return len(self._handles)

    def _query(self, index: int, what: str, fn, *args):
        if (index, what) in self._unsupported:
            return None
        try:
            return fn(self._handles[index], *args)
        except self._nv.NVMLError as exc:
            if isinstance(exc, self._nv.NVMLError_NotSupported | self._nv.NVMLError_FunctionNotFound):
                self._unsupported.add((index, what))
            return None

    def read_devices(self, energy: bool = True) -> list[GpuReading]:
        """`energy=False` leaves the energy counter unread (energy_mj None): on an H200 that one query
        took 3.4 ms of CPU, six times all the others together, and a job needs the counter only at its
        start and end (Monitor.watch/unwatch read it; the sampler's 10 Hz reads do not)."""
        nv = self._nv
        out = []
        for i in range(len(self._handles)):
            util = self._query(i, "util", nv.nvmlDeviceGetUtilizationRates)
            mem = self._query(i, "mem", nv.nvmlDeviceGetMemoryInfo)
            temp = self._query(i, "temp", nv.nvmlDeviceGetTemperature, nv.NVML_TEMPERATURE_GPU)
            power = self._query(i, "power", nv.nvmlDeviceGetPowerUsage)  # mW
            energy_mj = self._query(i, "energy", nv.nvmlDeviceGetTotalEnergyConsumption) if energy else None
            out.append(
                GpuReading(
                    index=i,
                    name=self._names[i],
                    util_pct=float(util.gpu) if util is not None else None,
                    mem_used=int(mem.used) if mem is not None else None,
                    mem_total=int(mem.total) if mem is not None else None,
                    temp_c=float(temp) if temp is not None else None,
                    power_w=power / 1000.0 if power is not None else None,
                    energy_mj=int(energy_mj) if energy_mj is not None else None,
                )
            )
        return out

    def _processes(self, index: int, kind: str) -> list:
        for fn_name in self._proc_fns[kind]:
            if (index, fn_name) in self._unsupported:
                continue
            try:
                return getattr(self._nv, fn_name)(self._handles[index])
            except (self._nv.NVMLError_FunctionNotFound, self._nv.NVMLError_NotSupported, AttributeError):
                self._unsupported.add((index, fn_name))
            except self._nv.NVMLError:
                return []
        return []

    def read_processes(self) -> list[GpuProcessReading]:
        out: list[GpuProcessReading] = []
        for i in range(len(self._handles)):
            merged: dict[int, int | None] = {}
            for kind in ("compute", "graphics"):
                for p in self._processes(i, kind):
                    used = getattr(p, "usedGpuMemory", None)
                    # A C+G process appears in both lists with the same allocation: keep the larger, not the sum.
                    prev = merged.get(p.pid)
                    merged[p.pid] = used if prev is None else (max(prev, used) if used is not None else prev)
            out += [GpuProcessReading(pid, i, used) for pid, used in merged.items()]
        return out

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._nv.nvmlShutdown()


@dataclass
class FakeDevice:
    name: str = "Fake GPU"
    mem_total: int = 24 * 1024**3
    mem_base: int = 300 * 1024**2  # used by "others" (display, driver) before any job
    util_pct: float | None = 0.0
    temp_c: float | None = 40.0
    power_w: float | None = 50.0
    energy_supported: bool = True
    energy_mj: float = 0.0


@dataclass
class FakeGpuBackend:
    """A scriptable GPU backend.

    - `devices`: the fake boards; change their fields between samples to script a scenario.
    - `set_process(pid, bytes, gpu)`: per-process memory, as NVML would list it.
    - `pid_dir`: a directory where child processes write `<pid>.json` = {"bytes": N, "gpu": 0, "util": 80}
      to announce "allocations" (the stand-in solution does this), so integration tests drive the real
      attribution path through a real process tree. Memory of a dead pid is freed, as the driver does.
    - `hide_pids`: report only pids that do not exist here, as NVML does inside a container.
    - `per_process_supported=False`: usedGpuMemory is N/A (MIG, WDDM).
    Device memory used = mem_base + sum of live process memory; energy integrates power between reads.
    """

    devices: list[FakeDevice] = field(default_factory=lambda: [FakeDevice()])
    pid_dir: Path | None = None
    hide_pids: bool = False
    per_process_supported: bool = True
    name: str = "fake"
    error: str | None = None
    _procs: dict[tuple[int, int], int] = field(default_factory=dict)
    _last_read: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set_process(self, pid: int, used_bytes: int, gpu: int = 0) -> None:
        with self._lock:
            self._procs[(pid, gpu)] = used_bytes

    def clear_process(self, pid: int) -> None:
        with self._lock:
            for key in [k for k in self._procs if k[0] == pid]:
                del self._procs[key]

    def device_count(self) -> int:
        return len(self.devices)

    def _live(self) -> dict[tuple[int, int], tuple[int, float | None]]:
        import psutil

        live: dict[tuple[int, int], tuple[int, float | None]] = {}
        with self._lock:
            for (pid, gpu), used in list(self._procs.items()):
                if psutil.pid_exists(pid):
                    live[(pid, gpu)] = (used, None)
        if self.pid_dir is not None and self.pid_dir.is_dir():
            for f in self.pid_dir.glob("*.json"):
                try:
                    pid = int(f.stem)
                    data = json.loads(f.read_text() or "{}")
                except (ValueError, OSError):
                    continue
                if _alive_not_zombie(pid):
                    live[(pid, int(data.get("gpu", 0)))] = (int(data.get("bytes", 0)), data.get("util"))
        return live

    def read_devices(self) -> list[GpuReading]:
        import time

        now = time.monotonic()
        live = self._live()
        out = []
        for i, d in enumerate(self.devices):
            if self._last_read is not None and d.power_w is not None:
                d.energy_mj += d.power_w * (now - self._last_read) * 1000.0
            used = d.mem_base + sum(b for (pid, gpu), (b, _) in live.items() if gpu == i)
            utils = [u for (pid, gpu), (_, u) in live.items() if gpu == i and u is not None]
            util = max(utils) if utils else d.util_pct
            out.append(
                GpuReading(
                    index=i,
                    name=d.name,
                    util_pct=util,
                    mem_used=min(used, d.mem_total),
                    mem_total=d.mem_total,
                    temp_c=d.temp_c,
                    power_w=d.power_w,
                    energy_mj=int(d.energy_mj) if d.energy_supported else None,
                )
            )
        self._last_read = now
        return out

    def read_processes(self) -> list[GpuProcessReading]:
        out = []
        for (pid, gpu), (used, _) in self._live().items():
            shown_pid = pid + 4_000_000 if self.hide_pids else pid  # beyond pid_max: never a real local pid
            out.append(GpuProcessReading(shown_pid, gpu, used if self.per_process_supported else None))
        return out

    def close(self) -> None:
        pass


def _alive_not_zombie(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def open_backend(kind: str | None = None, fake: Mapping | None = None) -> GpuBackend:
    """The GPU source for a monitor. `kind`: "auto" = NVML when it initialises, else a NullGpuBackend
    whose `error` says why (host panels only); "fake" = a FakeGpuBackend (kw from `fake`), for demos and
    UI work on a machine without a GPU; "none" = no GPU. Default: $THTUI_GPU_BACKEND, else "auto"."""
    kind = kind or os.environ.get(BACKEND_ENV) or "auto"
    if kind not in ("auto", "fake", "none"):
        return NullGpuBackend(f"{BACKEND_ENV}={kind!r}: choose auto, fake or none")
    if kind == "fake":
        return FakeGpuBackend(**dict(fake or {}))
    if kind == "none":
        return NullGpuBackend("GPU monitoring disabled")
    try:
        import pynvml  # noqa: F401
    except ImportError:
        return NullGpuBackend("nvidia-ml-py is not installed")
    try:
        backend = NvmlBackend()
    except Exception as exc:  # NVMLError_LibraryNotFound / DriverNotLoaded: a machine without NVIDIA GPU
        return NullGpuBackend(f"NVML unavailable: {exc}")
    if backend.device_count() == 0:
        backend.close()
        return NullGpuBackend("NVML sees no GPU")
    return backend
