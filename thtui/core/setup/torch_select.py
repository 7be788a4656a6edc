"""Which torch build to install for this machine, and whether an installed build can run on its GPU.

A manifest lists torch profiles (one per CUDA build) with the lowest driver each needs. The pick:
no GPU -> the manifest's default; otherwise the default when the driver runs it and its CUDA knows the
GPU's architecture, else the newest CUDA build that satisfies both (e.g. an RTX 5090, sm_120, needs
CUDA >= 12.8 wheels; an old 470 driver needs CUDA 11.x wheels).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from thtui.core.catalog.schema import Env, TorchProfile
from thtui.core.envs import installer_argv
from thtui.core.envs.runtime import Installer
from thtui.core.gpu_info import GpuReport


class NoTorchProfile(ValueError):
    pass


def version_tuple(text: str | None) -> tuple[int, ...]:
    """'550.54.15' -> (550, 54, 15); 'cpu' or None -> (0,)."""
    nums = re.findall(r"\d+", text or "")
    return tuple(int(n) for n in nums) if nums else (0,)


def min_cuda_for(cc: tuple[int, int]) -> tuple[int, int]:
    """Lowest CUDA toolkit whose wheels carry kernels for compute capability `cc`."""
    if cc >= (10, 0):
        return (12, 8)  # Blackwell (B200 sm_100, RTX 50xx sm_120)
    if cc >= (8, 9):
        return (11, 8)  # Ada (sm_89) and Hopper (sm_90)
    if cc >= (8, 6):
        return (11, 1)
    if cc >= (8, 0):
        return (11, 0)
    return (10, 0)


@dataclass(frozen=True)
class TorchChoice:
    name: str
    profile: TorchProfile
    reason: str


def select_profile(env: Env, gpu: GpuReport) -> TorchChoice:
    if not env.torch:
        raise NoTorchProfile("the manifest pins no torch")
    default = env.torch_default or next(iter(env.torch))
    if not gpu.gpus or not gpu.driver:
        why = gpu.error or "no NVIDIA GPU found"
        return TorchChoice(default, env.torch[default], f"{why}: using the default profile {default!r}")
    driver = version_tuple(gpu.driver)
    need = max(min_cuda_for(g.compute_capability) for g in gpu.gpus)
    arches = ", ".join(sorted({g.sm for g in gpu.gpus}))
    runs = {n: p for n, p in env.torch.items() if version_tuple(p.min_driver) <= driver}
    if not runs:
        lowest = min(env.torch.values(), key=lambda p: version_tuple(p.min_driver))
        raise NoTorchProfile(
            f"NVIDIA driver {gpu.driver} is too old for every torch build in the manifest "
            f"(the oldest needs >= {lowest.min_driver}); upgrade the driver"
        )
    fits = {n: p for n, p in runs.items() if version_tuple(p.cuda)[:2] >= need}
    if default in fits:
        return TorchChoice(
            default, fits[default], f"driver {gpu.driver}, {arches}: default profile {default!r}"
        )
    pool = fits or runs

    def newest(n: str) -> tuple:
        return (version_tuple(pool[n].cuda), version_tuple(pool[n].torch))

    name = max(pool, key=newest)
    if fits:
        why = f"driver {gpu.driver}, {arches}: {name!r} (CUDA {pool[name].cuda})"
    else:
        why = (
            f"driver {gpu.driver}, {arches}: no profile has CUDA >= {need[0]}.{need[1]} which {arches} needs; "
            f"trying {name!r} (verify will tell whether it runs)"
        )
    return TorchChoice(name, pool[name], why)


def torch_requirements(profile: TorchProfile) -> list[str]:
    reqs = [f"torch=={profile.torch}"]
    if profile.torchvision:
        reqs.append(f"torchvision=={profile.torchvision}")
    if profile.torchaudio:
        reqs.append(f"torchaudio=={profile.torchaudio}")
    return reqs


def torch_install_argv(
    installer: Installer, python, profile: TorchProfile, *, uv: str | None = None
) -> list[str]:
    """The official form: the CUDA build's own index only (`--index-url`), exact pins."""
    return installer_argv(installer, python, torch_requirements(profile), uv=uv, index_url=profile.index_url)


def constraints_text(profile: TorchProfile) -> str:
    """Pins applied to every later pip call, so no requirement silently swaps the CUDA torch for another."""
    return "".join(f"{r}\n" for r in torch_requirements(profile))


def arch_supported(arch_list: list[str], cc: tuple[int, int]) -> bool:
    """Whether torch.cuda.get_arch_list() can run on compute capability `cc`: a cubin of the same major
    and lower-or-equal minor (sm_86 runs on 8.9), an exact arch-specific cubin (sm_90a), or PTX
    (compute_XY) at or below `cc`, which the driver JIT-compiles."""
    for arch in arch_list:
        m = re.fullmatch(r"(sm|compute)_(\d+)(\d)([a-z]?)", arch)
        if not m:
            continue
        kind, major, minor, suffix = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
        if kind == "sm" and major == cc[0] and (minor == cc[1] if suffix else minor <= cc[1]):
            return True
        if kind == "compute" and not suffix and (major, minor) <= cc:
            return True
    return False
