"""The uv env backend through the real setup engine: a real `uv venv` with a Python of this machine,
requirements from a local wheel and the stand-in index (no network), ffmpeg served by thtui's own, and
the backend recorded and reported. Skips when uv is not installed (it is in the [test] extra)."""

from __future__ import annotations

import sys

import pytest
from setuplab import SetupLab

from thtui.core.config import load_settings
from thtui.core.envs.runtime import find_uv
from thtui.core.gpu_info import GpuReport
from thtui.core.setup import install
from thtui.core.setup.record import Record

NO_GPU = GpuReport(None, None, (), "no GPU (test)")
PY = f"{sys.version_info.major}.{sys.version_info.minor}"  # a Python this machine surely has

pytestmark = pytest.mark.skipif(find_uv() is None, reason="uv is not installed (pip install '.[test]')")


@pytest.fixture
def uv_lab(lab: SetupLab, monkeypatch: pytest.MonkeyPatch) -> SetupLab:
    monkeypatch.setenv("THTUI_ENV_BACKEND", "uv")
    monkeypatch.delenv("THTUI_INSTALLER", raising=False)
    monkeypatch.setenv("UV_INDEX_URL", lab.server.url("/simple/"))  # offline: the stand-in index only
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    return lab


def test_uv_backend_builds_a_venv_through_the_engine(uv_lab: SetupLab) -> None:
    settings = load_settings(cwd=uv_lab.tmp)
    assert settings.env_backend == "uv"
    loaded = uv_lab.write(env__python=PY)  # conda: [ffmpeg] in the lab's manifest
    result = install(settings, loaded, gpu=NO_GPU)
    assert result.ok, (result.failed_step, result.error)
    env = Record.load(settings, "tiny").info("env")
    assert env["manager"] == "uv" and env["python"].startswith(f"Python {PY}")
    assert env["served"] == ["ffmpeg"]
    prefix = settings.envs_dir / "tiny"
    assert (prefix / "pyvenv.cfg").is_file() and not (prefix / "conda-meta").exists()  # a venv, not conda
    assert (prefix / "bin" / "ffmpeg").resolve().is_file()
    assert Record.load(settings, "tiny").info("requirements")["installer"] == "uv"
    # patch-site ran on the venv's site-packages
    site = next(prefix.glob("lib/python*/site-packages"))
    assert "BROKEN = False" in (site / "tinydep" / "__init__.py").read_text()
    from thtui.core.catalog import Catalog
    from thtui.tui.services import solution_rows  # what the TUI's Solutions side panel shows

    rows = {r.name: r for r in solution_rows(settings, Catalog.load(uv_lab.solutions), measure_disk=False)}
    assert rows["tiny"].env_backend == "uv"
    doctor = uv_lab.thtui("doctor")
    assert "tiny: uv" in doctor.stdout, doctor.stdout
    out = uv_lab.thtui("status")
    assert out.returncode == 0 and [ln for ln in out.stdout.splitlines() if "tiny" in ln and " uv " in ln], (
        out.stdout
    )


def test_uv_backend_refuses_conda_packages_it_cannot_serve(uv_lab: SetupLab) -> None:
    loaded = uv_lab.write(env__python=PY, env__conda=["ffmpeg", "libsndfile"])
    result = install(load_settings(cwd=uv_lab.tmp), loaded, gpu=NO_GPU)
    assert result.failed_step == "env"
    assert result.error == "the uv backend cannot install the conda-forge package(s) libsndfile"
    assert "--env-backend conda" in result.hint
