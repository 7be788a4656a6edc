"""Catalog filters ("fits this GPU", "commercial use", "installed") in core and as `thtui list` flags."""

from __future__ import annotations

import json

import pytest

from thtui.cli import main
from thtui.core.catalog import Catalog
from thtui.core.catalog.filters import CatalogFilter, fits_gpu, keep, largest_gpu_bytes
from thtui.core.gpu_info import GpuInfo, GpuReport

H100_MB = 81559  # NVML's total for an "80 GB" H100
RTX4090_MB = 24564


def test_fits_gpu_compares_decimal_gb_with_the_board(catalog: Catalog) -> None:
    sonic = catalog.get("sonic")  # 32 GB estimate
    assert fits_gpu(sonic, largest_gpu_bytes([RTX4090_MB, H100_MB]))
    assert not fits_gpu(sonic, largest_gpu_bytes([RTX4090_MB]))
    assert not fits_gpu(sonic, None)  # no GPU visible
    assert fits_gpu(catalog.get("static"), None)  # needs none


def test_keep_applies_every_active_filter(catalog: Catalog) -> None:
    musetalk, float_ = catalog.get("musetalk"), catalog.get("float")
    commercial = CatalogFilter(commercial=True)
    assert keep(musetalk, "not installed", commercial) and not keep(float_, "ready", commercial)
    installed = CatalogFilter(installed=True)
    assert keep(float_, "ready", installed) and not keep(float_, "broken", installed)
    assert not CatalogFilter().active and CatalogFilter().describe() == ""
    both = CatalogFilter(fits_gpu=True, gpu_bytes=H100_MB * 1024**2, commercial=True)
    assert both.describe() == "fits 86 GB, commercial use"


def _rows(capsys: pytest.CaptureFixture[str], *flags: str) -> dict[str, dict]:
    assert main(["list", "--json", *flags]) == 0
    return {r["name"]: r for r in json.loads(capsys.readouterr().out)}


def test_cli_list_filter_flags(
    settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = _rows(capsys)
    commercial = _rows(capsys, "--commercial")
    assert commercial and set(commercial) < set(everything)
    assert all(r["commercial"] == "yes" for r in commercial.values())
    assert {"musetalk", "static"} <= set(commercial) and "float" not in commercial

    installed = _rows(capsys, "--installed")  # nothing is set up in this THTUI_HOME: builtins only
    assert installed and all(r["status"] == "ready" for r in installed.values())
    assert "musetalk" not in installed

    board = GpuInfo(0, "RTX 4090", (8, 9), RTX4090_MB, "GPU-x")
    monkeypatch.setattr("thtui.core.gpu_info.probe_gpus", lambda: GpuReport("550.0", "12.4", (board,)))
    fits = _rows(capsys, "--fits-gpu")
    assert "musetalk" in fits and "sonic" not in fits  # 8 GB fits 24 GB, 32 GB does not
    assert all(r["vram_gb"] * 1000**3 <= RTX4090_MB * 1024**2 or not r["needs_gpu"] for r in fits.values())


def test_cli_list_table_names_the_filter(settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--commercial"]) == 0
    out = capsys.readouterr().out
    assert "(commercial use)" in out and "musetalk" in out and "latentsync" not in out
