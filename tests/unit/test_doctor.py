"""`thtui doctor`: findings for GPU/no GPU, env manager, ffmpeg, disk, token, settings."""

from __future__ import annotations

import json

import pytest

from thtui.cli import main
from thtui.core.doctor import run_doctor
from thtui.core.gpu_info import GpuInfo, GpuReport

H100 = GpuReport("550.54.15", "12.4", (GpuInfo(0, "NVIDIA H100 80GB HBM3", (9, 0), 81559, "GPU-x"),))


def test_gpu_finding_names_arch(settings, catalog) -> None:
    f = {x.check: x for x in run_doctor(settings, catalog, gpu=H100)}
    assert f["nvidia driver"].level == "ok" and "550.54.15" in f["nvidia driver"].detail
    assert "compute capability 9.0 (sm_90)" in f["gpu 0"].detail


def test_no_gpu_is_plain_and_actionable(settings, catalog) -> None:
    f = {x.check: x for x in run_doctor(settings, catalog, gpu=GpuReport(None, None, (), "NVML unavailable"))}
    assert f["gpu"].level == "warn" and f["gpu"].detail.startswith("no NVIDIA GPU")
    assert "static" in f["gpu"].fix


def test_token_never_printed(settings, catalog, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_supersecret123")
    main(["doctor", "--json"])
    out = capsys.readouterr().out
    assert "hf_supersecret123" not in out
    rows = {r["check"]: r for r in json.loads(out)}
    assert rows["hugging face token"]["detail"] == "set (via HF_TOKEN)"
    # every setting shows where it came from
    assert "[env THTUI_HOME]" in rows["setting data_root"]["detail"]


def test_every_problem_says_what_to_do(settings, catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    for f in run_doctor(settings, catalog, gpu=GpuReport(None, None, (), "x")):
        if f.level in ("warn", "fail"):
            assert f.fix, f"{f.check} has no advice"


def test_settings_name_the_real_flags_and_a_missing_env_config(
    settings, catalog, tmp_path, capsys: pytest.CaptureFixture
) -> None:
    out_dir = tmp_path / "elsewhere"
    assert main(["doctor", "--outputs", str(out_dir), "--conda", "/opt/x/bin/mamba", "--json"]) in (0, 1)
    rows = {r["check"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["setting outputs_dir"]["detail"] == f"{out_dir}  [flag --outputs]"
    assert rows["setting conda_exe"]["detail"] == "/opt/x/bin/mamba  [flag --conda]"
    # the settings fixture points THTUI_CONFIG at a file that does not exist
    cfg = rows["config file"]
    assert cfg["level"] == "warn" and cfg["detail"] == (
        f"{settings.config_file} does not exist [env THTUI_CONFIG]: only flags, env vars and defaults apply"
    )
    assert main(["doctor", "--config", str(tmp_path / "nope.yaml")]) == 2
    assert (
        capsys.readouterr().err
        == f"thtui: config file not found: {tmp_path / 'nope.yaml'} (given with --config)\n"
    )
    # before or after the command, for any command
    assert main(["--config", str(tmp_path / "nope.yaml"), "list"]) == 2
    assert "config file not found" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["outputs_in_proc", "home_is_a_file"])
def test_doctor_fails_unusable_folders(
    settings, catalog, monkeypatch: pytest.MonkeyPatch, tmp_path, case
) -> None:
    """Doctor passed a read-only, /proc or file-typed outputs dir / data root that every command then
    crashed on; it now runs the same check the commands run (thtui.core.paths_check)."""
    from thtui.core.config import load_settings

    if case == "outputs_in_proc":
        monkeypatch.setenv("THTUI_OUTPUTS", "/proc/thtui-x")
        key, needle = "folder outputs dir", "/proc/thtui-x"
    else:
        afile = tmp_path / "home-file"
        afile.write_text("x")
        monkeypatch.setenv("THTUI_HOME", str(afile))
        key, needle = "folder data root", "is a file"
    f = {x.check: x for x in run_doctor(load_settings(cwd=tmp_path), catalog, gpu=H100)}
    assert f[key].level == "fail" and needle in f[key].detail
    assert f[key].fix
    ok = {x.check: x for x in run_doctor(settings, catalog, gpu=H100)}
    assert ok["folder outputs dir"].level == "ok" and ok["folder cache"].level == "ok"


def test_a_data_root_that_is_a_file_shows_solutions_not_installed_not_broken(
    monkeypatch, tmp_path, catalog
) -> None:
    """Every solution read "broken" (NotADirectoryError reading its install record) in the TUI."""
    from thtui.core.config import load_settings
    from thtui.core.install_status import solution_status

    afile = tmp_path / "home-file"
    afile.write_text("x")
    monkeypatch.setenv("THTUI_HOME", str(afile))
    st = solution_status(load_settings(cwd=tmp_path), catalog.get("wav2lip"))
    assert st.state == "not installed" and str(afile) in st.detail
