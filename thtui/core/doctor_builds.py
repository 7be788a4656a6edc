"""`thtui doctor` lines for CUDA extensions (flash-attn, xformers ...) that PyPI does not serve as wheels for a
system's torch/CUDA/Python: the prebuilt wheel that fits the torch build setup would pick on this machine, or,
where none is listed, what a source build needs (nvcc, host compiler, disk, RAM) against what is here.

The facts come from each manifest's env.cuda_extensions (thtui.core.catalog.schema.CudaExtension); the
toolchain is probed by running `nvcc --version` and `g++ --version` (argv lists, short timeouts).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from thtui.core.catalog import Catalog
from thtui.core.catalog.schema import CudaExtension, Env, SourceBuild, TorchProfile
from thtui.core.config import Settings
from thtui.core.doctor import Finding, Level, _free_bytes
from thtui.core.gpu_info import GpuReport

# The newest GCC major each CUDA toolkit accepts as nvcc's host compiler (NVIDIA's CUDA installation guide for
# Linux, "supported compilers"); a newer g++ stops the build with "unsupported GNU version".
MAX_GCC_FOR_CUDA: dict[tuple[int, int], int] = {
    (11, 8): 11,
    (12, 0): 12,
    (12, 1): 12,
    (12, 2): 12,
    (12, 3): 12,
    (12, 4): 13,
    (12, 5): 13,
    (12, 6): 13,
    (12, 8): 14,
    (12, 9): 14,
}


CUDA_ROOTS = ("/usr/local/cuda",)  # NVIDIA's installers link the current toolkit here


@dataclass(frozen=True)
class Toolchain:
    """What this machine offers a source build. None: not found."""

    nvcc: tuple[int, int] | None
    nvcc_path: str | None
    gxx: tuple[int, int] | None
    gxx_path: str | None
    free_bytes: int
    free_at: Path
    ram_bytes: int | None


def _version(argv: list[str], pattern: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(pattern, out)
    return (int(m.group(1)), int(m.group(2))) if m else None


def find_nvcc() -> str | None:
    """nvcc on PATH, else under $CUDA_HOME / $CUDA_PATH, else /usr/local/cuda (where torch's build looks)."""
    found = shutil.which("nvcc")
    if found:
        return found
    for root in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), *CUDA_ROOTS):
        if root and (Path(root) / "bin" / "nvcc").is_file():
            return str(Path(root) / "bin" / "nvcc")
    return None


def probe_toolchain(settings: Settings) -> Toolchain:
    nvcc = find_nvcc()
    gxx = shutil.which("g++") or shutil.which("c++")
    free_at, free = _free_bytes(settings.data_root)
    try:
        import psutil

        ram: int | None = psutil.virtual_memory().total
    except Exception:
        ram = None
    return Toolchain(
        nvcc=_version([nvcc, "--version"], r"release (\d+)\.(\d+)") if nvcc else None,
        nvcc_path=nvcc,
        gxx=_version([gxx, "--version"], r"(\d+)\.(\d+)(?:\.\d+)?") if gxx else None,
        gxx_path=gxx,
        free_bytes=free,
        free_at=free_at,
        ram_bytes=ram,
    )


def _ver(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text))


def _show(v: tuple[int, int] | None) -> str:
    return "none found" if v is None else f"{v[0]}.{v[1]}"


def _profile(env: Env, gpu: GpuReport) -> tuple[str, TorchProfile] | None:
    from thtui.core.setup.torch_select import NoTorchProfile, select_profile

    if not env.torch:
        return None
    try:
        choice = select_profile(env, gpu)
        return choice.name, choice.profile
    except NoTorchProfile:
        name = env.torch_default or next(iter(env.torch))
        return name, env.torch[name]


def build_gaps(build: SourceBuild, profile: TorchProfile, tc: Toolchain) -> tuple[list[str], list[str]]:
    """(what a source build needs, with what is here; what is missing, each with what to do)."""
    cuda = _ver(profile.cuda)[:2]
    needs = [
        f"nvcc {cuda[0]}.x >= {build.nvcc_min} (here: {_show(tc.nvcc)})",
        f"{build.compiler} (here: g++ {_show(tc.gxx)})",
        f"{build.disk_gb:g} GB free disk (here: {tc.free_bytes / 1000**3:.0f} GB at {tc.free_at})",
    ]
    gaps: list[str] = []
    nvcc_ok = tc.nvcc is not None and tc.nvcc[0] == cuda[0] and tc.nvcc >= _ver(build.nvcc_min)[:2]
    if not nvcc_ok:
        gaps.append(
            f"install the CUDA {cuda[0]}.x toolkit (>= {build.nvcc_min}; {profile.cuda} matches torch's build): "
            f"`conda install -c nvidia cuda-nvcc={profile.cuda}` in the env, or NVIDIA's package, then set CUDA_HOME"
        )
    max_gcc = MAX_GCC_FOR_CUDA.get(tc.nvcc or cuda)  # nvcc's own cap once there is one, else the profile's
    if tc.gxx is None:
        gaps.append(f"install a C++ compiler ({build.compiler}): apt install g++")
    elif max_gcc is not None and tc.gxx[0] > max_gcc:
        gaps.append(
            f"g++ {tc.gxx[0]} is newer than CUDA {_show(tc.nvcc or cuda)} accepts: install g++-{max_gcc}"
        )
    if tc.free_bytes < build.disk_gb * 1000**3:
        gaps.append(f"free {build.disk_gb:g} GB at {tc.free_at} (or point TMPDIR at a bigger disk)")
    if build.ram_gb is not None:
        needs.append(f"{build.ram_gb:g} GB RAM (here: {(tc.ram_bytes or 0) / 1000**3:.0f} GB)")
        if tc.ram_bytes is not None and tc.ram_bytes < build.ram_gb * 1000**3:
            jobs = build.env.get("MAX_JOBS")
            gaps.append(
                f"below {build.ram_gb:g} GB RAM keep MAX_JOBS={jobs} (as listed) or lower"
                if jobs
                else "set MAX_JOBS=4 (fewer parallel compiler processes, less RAM)"
            )
    if build.minutes is not None:
        needs.append(f"about {build.minutes:g} min ({build.source})")
    if build.env:
        needs.append("with " + " ".join(f"{k}={v}" for k, v in build.env.items()))
    return needs, gaps


def extension_finding(sol_name: str, env: Env, ext: CudaExtension, gpu: GpuReport, tc: Toolchain) -> Finding:
    check = f"{ext.module} ({sol_name})"
    picked = _profile(env, gpu)
    if picked is None:
        return Finding(check, "warn", f"{ext.package}: the manifest pins no torch", "Add env.torch profiles.")
    name, profile = picked
    combo = f"torch {profile.torch} CUDA {profile.cuda}, Python {env.python} (profile {name})"
    optional = "" if ext.required else " (optional: upstream runs without it, slower)"
    note = f" ({ext.note})" if ext.note else ""
    url = ext.wheels.get(name)
    if url:
        how = "pip install from the wheel index" if url.endswith("/") else "prebuilt wheel"
        return Finding(check, "ok", f"{ext.package}{optional}: {how} for {combo}: {url}{note}")
    others = sorted(ext.wheels)
    elsewhere = f"; prebuilt wheels are listed for profile(s) {', '.join(others)}" if others else ""
    if ext.build is None:
        return Finding(
            check,
            "warn" if ext.required else "info",
            f"{ext.package}: no prebuilt wheel for {combo}{elsewhere}, and no source-build recipe",
            "Find a wheel for this torch/CUDA/Python and add it to env.cuda_extensions[].wheels.",
        )
    needs, gaps = build_gaps(ext.build, profile, tc)
    level: Level = "ok" if not gaps else ("warn" if ext.required else "info")
    detail = (
        f"{ext.package}{optional}: no prebuilt wheel for {combo}{elsewhere}; built from source: "
        + ", ".join(needs)
        + note
    )
    return Finding(check, level, detail, "; ".join(gaps))


def cuda_extension_findings(
    settings: Settings, catalog: Catalog, gpu: GpuReport, toolchain: Toolchain | None = None
) -> list[Finding]:
    """One line per CUDA extension of each system in the catalog (none when no system lists any)."""
    exts = [
        (loaded.name, loaded.solution.env, ext)
        for loaded in catalog
        if loaded.solution.env is not None
        for ext in loaded.solution.env.cuda_extensions
    ]
    if not exts:
        return []
    tc = toolchain or probe_toolchain(settings)
    return [extension_finding(name, env, ext, gpu, tc) for name, env, ext in exts if env is not None]
