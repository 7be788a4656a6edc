"""Torch profile choice for driver + GPU architecture, and the exact install commands (pip and uv)."""

from __future__ import annotations

from pathlib import Path

import pytest

from thtui.core.catalog.schema import Env
from thtui.core.envs import installer_argv
from thtui.core.gpu_info import GpuInfo, GpuReport
from thtui.core.setup.torch_select import (
    NoTorchProfile,
    arch_supported,
    constraints_text,
    select_profile,
    torch_install_argv,
)

ENV = Env.model_validate(
    {
        "python": "3.10",
        "torch": {
            "cu118": {"torch": "2.0.1", "torchvision": "0.15.2", "index_url": "https://download.pytorch.org/whl/cu118", "min_driver": "450.80", "cuda": "11.8"},
            "cu121": {"torch": "2.1.2", "torchvision": "0.16.2", "index_url": "https://download.pytorch.org/whl/cu121", "min_driver": "525.60", "cuda": "12.1"},
            "cu128": {"torch": "2.7.1", "torchvision": "0.22.1", "torchaudio": "2.7.1", "index_url": "https://download.pytorch.org/whl/cu128", "min_driver": "570.26", "cuda": "12.8"},
        },
        "torch_default": "cu121",
    }
)  # fmt: skip


def gpu(driver: str, *ccs: tuple[int, int]) -> GpuReport:
    return GpuReport(
        driver, "12.4", tuple(GpuInfo(i, f"gpu{i}", cc, 80000, f"GPU-{i}") for i, cc in enumerate(ccs))
    )


def test_no_gpu_takes_the_default() -> None:
    choice = select_profile(ENV, GpuReport(None, None, (), "NVML unavailable"))
    assert choice.name == "cu121" and "NVML unavailable" in choice.reason


def test_default_when_the_driver_runs_it_and_it_knows_the_arch() -> None:
    assert select_profile(ENV, gpu("550.54.15", (9, 0))).name == "cu121"  # H100


def test_old_driver_falls_back_to_an_older_cuda() -> None:
    choice = select_profile(ENV, gpu("470.82.01", (8, 0)))  # A100 on an old driver
    assert choice.name == "cu118"


def test_blackwell_needs_cuda_12_8() -> None:
    choice = select_profile(ENV, gpu("570.124.04", (12, 0)))
    assert choice.name == "cu128" and "CUDA 12.8" in choice.reason


def test_blackwell_on_a_driver_too_old_for_12_8_says_so() -> None:
    choice = select_profile(ENV, gpu("550.54.15", (12, 0)))
    assert choice.name == "cu121" and "no profile has CUDA >= 12.8" in choice.reason


def test_driver_older_than_every_profile_is_refused() -> None:
    with pytest.raises(NoTorchProfile, match="driver 418.67 is too old .* needs >= 450.80"):
        select_profile(ENV, gpu("418.67", (7, 0)))


@pytest.mark.parametrize(
    ("arches", "cc", "ok"),
    [
        (["sm_80", "sm_86", "sm_90"], (9, 0), True),
        (["sm_80", "sm_86"], (8, 9), True),  # sm_86 cubins run on 8.9
        (["sm_80", "sm_86"], (9, 0), False),  # no Hopper kernels
        (["sm_80", "sm_90", "compute_90"], (12, 0), True),  # PTX JIT
        (["sm_90a"], (9, 0), True),
        (["sm_90a"], (9, 1), False),
        (["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"], (12, 0), False),
        (["sm_100", "sm_120"], (12, 0), True),
        ([], (8, 0), False),
    ],
)
def test_arch_coverage(arches: list[str], cc: tuple[int, int], ok: bool) -> None:
    assert arch_supported(arches, cc) is ok


def test_torch_command_with_pip_uses_the_profiles_index_only() -> None:
    py = Path("/data/envs/x/bin/python")
    argv = torch_install_argv("pip", py, ENV.torch["cu128"])
    assert argv == [
        str(py), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
        "--index-url", "https://download.pytorch.org/whl/cu128",
        "torch==2.7.1", "torchvision==0.22.1", "torchaudio==2.7.1",
    ]  # fmt: skip


def test_torch_command_with_uv_targets_the_envs_python() -> None:
    py = Path("/data/envs/x/bin/python")
    argv = torch_install_argv("uv", py, ENV.torch["cu118"], uv="/usr/bin/uv")
    assert argv == [
        "/usr/bin/uv", "pip", "install", "--python", str(py),
        "--index-url", "https://download.pytorch.org/whl/cu118", "torch==2.0.1", "torchvision==0.15.2",
    ]  # fmt: skip


def test_requirements_keep_torch_pinned_and_use_extra_indexes() -> None:
    assert constraints_text(ENV.torch["cu118"]) == "torch==2.0.1\ntorchvision==0.15.2\n"
    argv = installer_argv(
        "uv",
        Path("/p/bin/python"),
        ["numpy<2"],
        uv="uv",
        extra_index_urls=["https://x/simple"],
        constraints=Path("/p/c.txt"),
    )
    assert argv == [
        "uv", "pip", "install", "--python", "/p/bin/python", "--index-strategy", "unsafe-best-match",
        "--extra-index-url", "https://x/simple", "-c", "/p/c.txt", "numpy<2",
    ]  # fmt: skip
    argv = installer_argv("pip", Path("/p/bin/python"), ["x==1"], no_deps=True)
    assert argv[-2:] == ["--no-deps", "x==1"]
