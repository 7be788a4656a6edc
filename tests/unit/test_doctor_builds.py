"""`thtui doctor` on CUDA extensions (env.cuda_extensions: flash-attn, xformers ...): the prebuilt wheel for the
torch build this machine gets, else what a source build needs against what is here (a fake nvcc and g++ on
PATH answer `--version` like the real ones)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from thtui.cli import main
from thtui.core.catalog import Catalog
from thtui.core.catalog.loader import ManifestError, load_manifest
from thtui.core.config import Settings
from thtui.core.doctor_builds import Toolchain, cuda_extension_findings, probe_toolchain
from thtui.core.gpu_info import GpuInfo, GpuReport

MANIFESTS = Path(__file__).parent.parent / "fixtures" / "manifests"
H100 = GpuReport("550.54.15", "12.4", (GpuInfo(0, "NVIDIA H100 80GB HBM3", (9, 0), 81559, "GPU-x"),))
NO_GPU = GpuReport(None, None, (), "NVML unavailable")
WHEEL = (
    "https://github.com/Dao-AILab/flash-attention/releases/download/v2.7.4.post1/"
    "flash_attn-2.7.4.post1+cu12torch2.4cxx11abiFALSE-cp310-cp310-linux_x86_64.whl"
)
PROFILES = {
    "cu121": {"torch": "2.4.1", "index_url": "https://download.pytorch.org/whl/cu121", "cuda": "12.1",
              "min_driver": "525.60"},
    "cu124": {"torch": "2.4.1", "index_url": "https://download.pytorch.org/whl/cu124", "cuda": "12.4",
              "min_driver": "550.54"},
}  # fmt: skip
BUILD = {"nvcc_min": "11.7", "compiler": "g++ >= 9", "disk_gb": 10, "ram_gb": 32, "minutes": 45,
         "env": {"MAX_JOBS": "4"}, "source": "flash-attention README (ninja, 64-core machine: 3-5 min)"}  # fmt: skip


def _catalog(tmp_path: Path, extensions: list[dict], default: str = "cu121") -> Catalog:
    data = yaml.safe_load((MANIFESTS / "good_minimal" / "solution.yaml").read_text(encoding="utf-8"))
    data["name"] = "heavy"
    data["env"] = {
        "python": "3.10",
        "torch": PROFILES,
        "torch_default": default,
        "cuda_extensions": extensions,
    }
    folder = tmp_path / "solutions" / "heavy"
    folder.mkdir(parents=True)
    (folder / "solution.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return Catalog.load(tmp_path / "solutions")


def _tools(tmp_path: Path, nvcc: str | None, gxx: str | None) -> Path:
    """A bin dir with fake `nvcc` and `g++` printing what the real ones print for --version."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if nvcc:
        (bin_dir / "nvcc").write_text(
            "#!/bin/sh\necho 'nvcc: NVIDIA (R) Cuda compiler driver'\n"
            f"echo 'Cuda compilation tools, release {nvcc}, V{nvcc}.105'\n"
        )
    if gxx:
        (bin_dir / "g++").write_text(f"#!/bin/sh\necho 'g++ (Ubuntu {gxx}-1ubuntu1~22.04) {gxx}'\n")
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    return bin_dir


@pytest.fixture
def only_tools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    def use(nvcc: str | None, gxx: str | None) -> None:
        monkeypatch.setenv("PATH", str(_tools(tmp_path, nvcc, gxx)))
        for var in ("CUDA_HOME", "CUDA_PATH"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setattr("thtui.core.doctor_builds.CUDA_ROOTS", ())  # this box may have /usr/local/cuda

    return use


def test_wheel_for_the_profile_this_gpu_gets_is_named(settings: Settings, tmp_path: Path) -> None:
    catalog = _catalog(tmp_path, [{"package": "flash-attn==2.7.4.post1", "module": "flash_attn",
                                   "wheels": {"cu121": WHEEL}, "build": BUILD}])  # fmt: skip
    (f,) = cuda_extension_findings(
        settings, catalog, H100, Toolchain(None, None, None, None, 0, tmp_path, None)
    )
    assert f.check == "flash_attn (heavy)" and f.level == "ok"
    assert (
        "prebuilt wheel for torch 2.4.1 CUDA 12.1, Python 3.10 (profile cu121)" in f.detail
        and WHEEL in f.detail
    )


def test_no_wheel_names_what_a_source_build_needs_and_what_is_missing(
    settings: Settings, tmp_path: Path, only_tools
) -> None:
    """The profile cu124 (default) has no wheel: nvcc 12.x >= 11.7 and g++ are needed; here nvcc is 11.8
    (the wrong major for torch's CUDA 12.4) and g++ 14 is newer than CUDA 12.4 accepts."""
    only_tools("11.8", "14.2.0")
    catalog = _catalog(tmp_path, [{"package": "flash-attn==2.7.4.post1", "module": "flash_attn",
                                   "wheels": {"cu121": WHEEL}, "build": BUILD}], default="cu124")  # fmt: skip
    (f,) = cuda_extension_findings(settings, catalog, H100)
    assert f.level == "warn"
    assert "no prebuilt wheel for torch 2.4.1 CUDA 12.4, Python 3.10 (profile cu124)" in f.detail
    assert "prebuilt wheels are listed for profile(s) cu121" in f.detail
    assert "nvcc 12.x >= 11.7 (here: 11.8)" in f.detail and "g++ >= 9 (here: g++ 14.2)" in f.detail
    assert "10 GB free disk" in f.detail and "about 45 min" in f.detail and "MAX_JOBS=4" in f.detail
    assert "install the CUDA 12.x toolkit" in f.fix and "cuda-nvcc=12.4" in f.fix
    assert "g++ 14 is newer than CUDA 11.8 accepts: install g++-11" in f.fix


def test_source_build_ready_here_is_ok(settings: Settings, tmp_path: Path, only_tools) -> None:
    only_tools("12.4", "12.3.0")
    catalog = _catalog(tmp_path, [{"package": "flash-attn==2.7.4.post1", "module": "flash_attn",
                                   "build": {**BUILD, "disk_gb": 0, "ram_gb": None}}], default="cu124")  # fmt: skip
    (f,) = cuda_extension_findings(settings, catalog, H100)
    assert f.level == "ok" and f.fix == "" and "here: 12.4" in f.detail and "here: g++ 12.3" in f.detail


def test_nothing_found_and_optional_extension_is_info(settings: Settings, tmp_path: Path, only_tools) -> None:
    only_tools(None, None)
    catalog = _catalog(tmp_path, [{"package": "xformers==0.0.28", "module": "xformers", "required": False,
                                   "build": BUILD}])  # fmt: skip
    (f,) = cuda_extension_findings(settings, catalog, NO_GPU)
    assert f.level == "info" and "(optional: upstream runs without it, slower)" in f.detail
    assert "here: none found" in f.detail and "apt install g++" in f.fix
    tc = probe_toolchain(settings)
    assert tc.nvcc is None and tc.gxx is None


def test_doctor_json_carries_the_line(settings: Settings, tmp_path: Path, monkeypatch, capsys) -> None:
    _catalog(
        tmp_path, [{"package": "flash-attn==2.7.4.post1", "module": "flash_attn", "wheels": {"cu121": WHEEL}}]
    )
    monkeypatch.setenv("THTUI_SOLUTIONS", str(tmp_path / "solutions"))
    main(["doctor", "--json"])
    rows = {r["check"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["flash_attn (heavy)"]["detail"].startswith("flash-attn==2.7.4.post1: ")


def test_real_catalog_heavy_systems(settings: Settings, catalog: Catalog, tmp_path: Path) -> None:
    """InfiniteTalk needs flash-attn (its wheel fits both CUDA 12 profiles); FlashHead can use it (optional)."""
    bare = Toolchain(None, None, None, None, 0, tmp_path, None)
    lines = {f.check: f for f in cuda_extension_findings(settings, catalog, H100, bare)}
    assert lines["flash_attn (infinitetalk)"].level == "ok"
    assert "prebuilt wheel for torch 2.4.1" in lines["flash_attn (infinitetalk)"].detail
    fh = lines["flash_attn (soulx_flashhead)"]
    assert fh.level == "info" and "optional" in fh.detail and "nvcc 12.x" in fh.detail and fh.fix
    assert "prebuilt wheel for torch 2.8.0 CUDA 12.8" in lines["flash_attn (liveavatar)"].detail
    fa3 = lines["flash_attn_interface (liveavatar)"]
    assert "wheel index" in fa3.detail and "Hopper only" in fa3.detail and "optional" in fa3.detail


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"wheels": {"cu999": WHEEL}}, r"wheels for unknown torch profile\(s\) \['cu999'\]"),
        ({"wheels": {"cu121": "http://example.com/x.whl"}}, "neither an https wheel"),
        ({}, "give wheels .* or build"),
    ],
)
def test_bad_extension_is_a_schema_error_naming_the_field(tmp_path: Path, change: dict, message: str) -> None:
    data = yaml.safe_load((MANIFESTS / "good_minimal" / "solution.yaml").read_text(encoding="utf-8"))
    data["env"] = {"python": "3.10", "torch": PROFILES, "torch_default": "cu121",
                   "cuda_extensions": [{"package": "flash-attn", "module": "flash_attn", **change}]}  # fmt: skip
    path = tmp_path / "good_minimal" / "solution.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ManifestError, match=message) as err:
        load_manifest(path)
    assert "cuda_extensions" in str(err.value)
