"""Settings precedence: flags > env vars > config file > defaults, each value with its source."""

from __future__ import annotations

from pathlib import Path

import pytest

from thtui.core.config import ConfigError, load_settings


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults(tmp_path: Path) -> None:
    s = load_settings(environ={"THTUI_CONFIG": str(tmp_path / "none.yaml")}, cwd=tmp_path)
    assert s.outputs_dir == tmp_path / "outputs"
    assert s.data_root.name == "thtui"
    assert s.provenance["data_root"] == "default"
    assert s.env_backend == "auto"
    assert s.repos_dir == s.data_root / "repos" and s.envs_dir == s.data_root / "envs"


def test_precedence_flag_over_env_over_file(tmp_path: Path) -> None:
    cfg = _write(tmp_path / "c.yaml", "data_root: /from/file\noutputs_dir: rel/out\nconda_exe: micromamba\n")
    env = {"THTUI_CONFIG": str(cfg), "THTUI_HOME": "/from/env"}
    s = load_settings(environ=env, cwd=tmp_path)
    assert s.data_root == Path("/from/env") and s.provenance["data_root"] == "env THTUI_HOME"
    assert s.outputs_dir == tmp_path / "rel/out" and s.provenance["outputs_dir"] == f"file {cfg}"
    assert s.conda_exe == "micromamba"
    s = load_settings({"data_root": "/from/flag"}, environ=env, cwd=tmp_path)
    assert s.data_root == Path("/from/flag") and s.provenance["data_root"] == "flag --data-root"


def test_config_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.yaml", "data_root: [unclosed\n")
    with pytest.raises(ConfigError, match="bad.yaml: not valid YAML"):
        load_settings(environ={"THTUI_CONFIG": str(bad)}, cwd=tmp_path)
    typo = _write(tmp_path / "typo.yaml", "data_rot: /x\n")
    with pytest.raises(ConfigError, match=r"typo.yaml: unknown setting\(s\) \['data_rot'\]"):
        load_settings(environ={"THTUI_CONFIG": str(typo)}, cwd=tmp_path)


def test_bad_backend_names_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="env_backend='pip'.*env THTUI_ENV_BACKEND"):
        load_settings(environ={"THTUI_ENV_BACKEND": "pip", "THTUI_CONFIG": str(tmp_path / "n")}, cwd=tmp_path)


def test_an_explicit_config_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "typo.yaml"
    with pytest.raises(ConfigError) as info:
        load_settings({"config_file": str(missing)}, environ={}, cwd=tmp_path)
    assert str(info.value) == f"config file not found: {missing} (given with --config)"
    # The default location missing is the normal case, and so is THTUI_CONFIG naming no file (tests and
    # benchmarks use it to mean "no config"; `thtui doctor` warns about it).
    assert load_settings(environ={}, cwd=tmp_path).provenance["config_file"] == "default"
    s = load_settings(environ={"THTUI_CONFIG": str(missing)}, cwd=tmp_path)
    assert s.config_file == missing and s.provenance["config_file"] == "env THTUI_CONFIG"


def test_provenance_names_the_flag_as_typed(tmp_path: Path) -> None:
    env = {"THTUI_CONFIG": str(tmp_path / "none.yaml")}
    s = load_settings(
        {"outputs_dir": "/o", "conda_exe": "mamba", "env_backend": "conda"}, environ=env, cwd=tmp_path
    )
    assert s.provenance["outputs_dir"] == "flag --outputs"
    assert s.provenance["conda_exe"] == "flag --conda"
    assert s.provenance["env_backend"] == "flag --env-backend"
