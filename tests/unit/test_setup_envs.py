"""Env manager detection (conda / mamba / micromamba, configured or found) and in-env environments."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from thtui.core.config import load_settings
from thtui.core.doctor import find_env_manager
from thtui.core.envs import NoEnvManager, detect_env_manager, env_environ, pick_installer, require_env_manager

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stand_ins.fake_conda import install_fake_conda  # noqa: E402


@pytest.fixture
def bare(settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("HOME", str(tmp_path / "home-dir"))
    for var in ("CONDA_EXE", "MAMBA_EXE", "MAMBA_ROOT_PREFIX"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("THTUI_INSTALLER", "pip")  # uv beside thtui's Python would be found as a backend
    return tmp_path


def test_nothing_found_explains_the_next_step(bare, settings) -> None:
    assert detect_env_manager(settings) is None
    with pytest.raises(NoEnvManager) as exc:
        require_env_manager(settings)
    msg = str(exc.value)
    assert "\n" not in msg and "thtui bootstrap" in msg and str(settings.data_root / "miniforge") in msg
    assert find_env_manager(settings).found is False


def test_auto_prefers_mamba_then_micromamba_then_conda(bare, settings) -> None:
    install_fake_conda(bare / "bin", "conda")
    assert detect_env_manager(settings).kind == "conda"
    install_fake_conda(bare / "bin", "micromamba")
    assert detect_env_manager(settings).kind == "micromamba"
    install_fake_conda(bare / "bin", "mamba")
    mgr = detect_env_manager(settings)
    assert (mgr.kind, mgr.origin) == ("mamba", "PATH")
    assert find_env_manager(settings).path == mgr.exe  # doctor delegates here


def test_backend_setting_and_conda_exe_override(bare, settings, monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_conda(bare / "bin", "mamba")
    install_fake_conda(bare / "bin", "conda")
    monkeypatch.setenv("THTUI_ENV_BACKEND", "conda")
    assert detect_env_manager(load_settings()).kind == "conda"
    custom = install_fake_conda(bare / "elsewhere", "micromamba")
    monkeypatch.setenv("THTUI_CONDA", str(custom))
    monkeypatch.setenv("THTUI_ENV_BACKEND", "auto")
    mgr = detect_env_manager(load_settings())
    assert (mgr.kind, mgr.exe) == ("micromamba", str(custom)) and "env THTUI_CONDA" in mgr.origin
    monkeypatch.setenv("THTUI_CONDA", str(bare / "missing" / "conda"))
    with pytest.raises(NoEnvManager, match="configured env manager .* does not exist"):
        require_env_manager(load_settings())


def test_miniforge_from_bootstrap_is_found(bare, settings) -> None:
    install_fake_conda(settings.data_root / "miniforge" / "bin", "conda")
    mgr = detect_env_manager(settings)
    assert mgr is not None and mgr.origin == "thtui bootstrap (Miniforge)"


def test_commands_use_prefix_envs_and_conda_forge_only(settings) -> None:
    from thtui.core.envs import EnvManager

    mgr = EnvManager("micromamba", "/opt/mm", "PATH")
    argv = mgr.create_argv(Path("/d/envs/x"), "3.10", ["ffmpeg"])
    assert argv == [
        "/opt/mm", "create", "-p", "/d/envs/x", "--yes", "--override-channels", "-c", "conda-forge",
        "python=3.10", "pip", "ffmpeg",
    ]  # fmt: skip
    assert mgr.environ(settings) == {"MAMBA_ROOT_PREFIX": str(settings.data_root / "micromamba")}
    assert EnvManager("conda", "/c", "PATH").environ(settings) == {}


def test_env_environ_runs_the_envs_own_python(monkeypatch: pytest.MonkeyPatch) -> None:
    base = {
        "PATH": "/usr/bin",
        "PYTHONPATH": "/leak",
        "VIRTUAL_ENV": "/venv",
        "PYTHONHOME": "/x",
        "HOME": "/h",
    }
    env = env_environ(Path("/d/envs/x"), base, EXTRA="1")
    assert env["PATH"] == "/d/envs/x/bin:/usr/bin"
    assert env["CONDA_PREFIX"] == "/d/envs/x" and env["PYTHONNOUSERSITE"] == "1" and env["EXTRA"] == "1"
    assert not {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME"} & set(env) and env["HOME"] == "/h"


def test_installer_choice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert pick_installer({"THTUI_INSTALLER": "auto"})[0] in ("pip", "uv")
    assert pick_installer({"THTUI_INSTALLER": "pip"}) == ("pip", None)
    uv = tmp_path / "uv"
    uv.write_text("#!/bin/sh\n")
    uv.chmod(0o755)
    assert pick_installer({})[0] == "uv"


def test_uv_is_picked_when_no_conda_exists_but_uv_does(
    bare, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    uv = bare / "bin" / "uv"
    uv.parent.mkdir(parents=True, exist_ok=True)
    uv.write_text("#!/bin/sh\n")
    uv.chmod(0o755)
    monkeypatch.setenv("THTUI_INSTALLER", "auto")
    mgr = detect_env_manager(settings)
    assert mgr is not None and (mgr.kind, mgr.exe, mgr.origin) == ("uv", str(uv), "PATH")
    argv = mgr.create_argv(Path("/envs/x"), "3.10", ["ffmpeg"])
    assert argv[:5] == [str(uv), "venv", "--no-project", "--python", argv[4]] and argv[-1] == "/envs/x"
    assert argv[4] == "3.10" or argv[4].endswith("python3.10")  # a pyenv interpreter when there is one
    assert find_env_manager(settings).name == "uv"
    install_fake_conda(bare / "bin")  # a conda beside it wins in auto
    assert detect_env_manager(settings).kind != "uv"
    forced = load_settings(
        cwd=bare, environ={"THTUI_ENV_BACKEND": "uv", "THTUI_HOME": str(settings.data_root)}
    )
    assert detect_env_manager(forced).kind == "uv"
