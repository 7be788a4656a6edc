"""Settings with provenance: command-line flags > environment variables > YAML config file > defaults.

Every value remembers where it came from, so `thtui doctor` can show *why* a path is what it is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ENV_VARS = {
    "data_root": "THTUI_HOME",
    "outputs_dir": "THTUI_OUTPUTS",
    "conda_exe": "THTUI_CONDA",
    "env_backend": "THTUI_ENV_BACKEND",
    "solutions_dir": "THTUI_SOLUTIONS",
}
# The command-line flag of each setting (thtui.cli.common defines them from this), so provenance names
# the flag the user actually typed.
FLAGS = {
    "data_root": "--data-root",
    "outputs_dir": "--outputs",
    "conda_exe": "--conda",
    "env_backend": "--env-backend",
    "solutions_dir": "--solutions-dir",
    "config_file": "--config",
}
CONFIG_ENV = "THTUI_CONFIG"
ENV_BACKENDS = ("auto", "conda", "mamba", "micromamba", "uv")


def repo_root() -> Path:
    """The checkout this package runs from (solutions/ and assets/ live beside the package)."""
    return Path(__file__).resolve().parents[2]


def default_config_file() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "thtui" / "config.yaml"


def _default_data_root() -> Path:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "thtui"


class ConfigError(ValueError):
    """A config value is unusable; the message names the source and the key."""


@dataclass(frozen=True)
class Setting:
    value: Any
    source: str  # "flag --data-root", "env THTUI_HOME", "file ~/.config/thtui/config.yaml", "default"


@dataclass(frozen=True)
class Settings:
    data_root: Path
    outputs_dir: Path
    conda_exe: str | None
    env_backend: str
    solutions_dir: Path
    config_file: Path
    provenance: Mapping[str, str] = field(default_factory=dict)

    # Everything below is derived, never configured, so it can't drift from data_root.
    @property
    def repos_dir(self) -> Path:
        return self.data_root / "repos"

    @property
    def envs_dir(self) -> Path:
        return self.data_root / "envs"

    @property
    def weights_dir(self) -> Path:
        return self.data_root / "weights"

    @property
    def state_dir(self) -> Path:
        return self.data_root / "state"

    @property
    def logs_dir(self) -> Path:
        return self.data_root / "logs"

    @property
    def cache_dir(self) -> Path:
        return self.data_root / "cache"

    @property
    def db_path(self) -> Path:
        return self.outputs_dir / "thtui.sqlite"

    def rows(self) -> list[tuple[str, str, str]]:
        """(key, value, source) for display."""
        out = []
        for key in ("data_root", "outputs_dir", "conda_exe", "env_backend", "solutions_dir"):
            out.append((key, str(getattr(self, key)), self.provenance.get(key, "default")))
        out.append(("config_file", str(self.config_file), self.provenance.get("config_file", "default")))
        return out


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(data).__name__}")
    unknown = set(data) - set(ENV_VARS)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {sorted(unknown)}; known: {sorted(ENV_VARS)}")
    return data


def load_settings(
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Resolve settings. `flags` holds only the values the user actually passed."""
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    environ = os.environ if environ is None else environ
    cwd = cwd or Path.cwd()

    if flags.get("config_file"):
        cfg_path, cfg_src = Path(flags["config_file"]).expanduser(), f"flag {FLAGS['config_file']}"
        if not cfg_path.is_file():  # named on purpose: a typo must not silently mean "no config"
            raise ConfigError(f"config file not found: {cfg_path} (given with {FLAGS['config_file']})")
    elif environ.get(CONFIG_ENV):
        cfg_path, cfg_src = Path(environ[CONFIG_ENV]).expanduser(), f"env {CONFIG_ENV}"
    else:
        cfg_path, cfg_src = default_config_file(), "default"
    file_values = _read_file(cfg_path)

    defaults: dict[str, Any] = {
        "data_root": _default_data_root(),
        "outputs_dir": cwd / "outputs",
        "conda_exe": None,
        "env_backend": "auto",
        "solutions_dir": repo_root() / "solutions",
    }
    values: dict[str, Any] = {}
    provenance: dict[str, str] = {"config_file": cfg_src}
    for key, env_name in ENV_VARS.items():
        if key in flags:
            values[key], provenance[key] = flags[key], f"flag {FLAGS[key]}"
        elif environ.get(env_name):
            values[key], provenance[key] = environ[env_name], f"env {env_name}"
        elif key in file_values and file_values[key] is not None:
            values[key], provenance[key] = file_values[key], f"file {cfg_path}"
        else:
            values[key], provenance[key] = defaults[key], "default"

    backend = str(values["env_backend"])
    if backend not in ENV_BACKENDS:
        raise ConfigError(
            f"env_backend={backend!r} ({provenance['env_backend']}): choose one of {ENV_BACKENDS}"
        )

    def _path(key: str) -> Path:
        p = Path(str(values[key])).expanduser()
        return p if p.is_absolute() else (cwd / p)

    return Settings(
        data_root=_path("data_root"),
        outputs_dir=_path("outputs_dir"),
        conda_exe=str(values["conda_exe"]) if values["conda_exe"] else None,
        env_backend=backend,
        solutions_dir=_path("solutions_dir"),
        config_file=cfg_path,
        provenance=provenance,
    )


# How the user points each folder elsewhere, for messages that say what to do.
def how_to_change(key: str) -> str:
    return f"{FLAGS[key]} or {ENV_VARS[key]}" if key in ENV_VARS else FLAGS.get(key, key)


def check_folders(settings: Settings, *keys: str) -> None:
    """The named folders of `settings` ("data_root", "outputs_dir", "cache_dir") are usable folders;
    raises thtui.core.paths_check.PathProblem naming the first that is not. Creates nothing."""
    from thtui.core.paths_check import check_writable_dir

    roles = {"data_root": "data root", "outputs_dir": "outputs dir", "cache_dir": "cache dir"}
    for key in keys:
        change = how_to_change("data_root" if key == "cache_dir" else key)
        check_writable_dir(getattr(settings, key), roles.get(key, key), change)
