"""Flags every command shares, and the helpers that turn them into core objects."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console

from thtui.core.catalog import Catalog, ManifestError
from thtui.core.config import FLAGS, ConfigError, Settings, load_settings


class CliError(Exception):
    """A user-facing failure: printed as one line (no traceback), exit code `code`."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def add_global_flags(parser: argparse.ArgumentParser, default: Any = None) -> None:
    g = parser.add_argument_group("settings (flags > env vars > config file > defaults)")
    kw = {"default": default}
    g.add_argument(
        FLAGS["data_root"],
        dest="data_root",
        metavar="DIR",
        help="clones, envs, weights (env THTUI_HOME)",
        **kw,
    )
    g.add_argument(
        FLAGS["outputs_dir"], dest="outputs_dir", metavar="DIR", help="run results (env THTUI_OUTPUTS)", **kw
    )
    g.add_argument(
        FLAGS["conda_exe"],
        dest="conda_exe",
        metavar="EXE",
        help="conda/mamba/micromamba (env THTUI_CONDA)",
        **kw,
    )
    g.add_argument(
        FLAGS["env_backend"], dest="env_backend", choices=["auto", "conda", "mamba", "micromamba"], **kw
    )
    g.add_argument(FLAGS["solutions_dir"], dest="solutions_dir", metavar="DIR", help=argparse.SUPPRESS, **kw)
    g.add_argument(
        FLAGS["config_file"], dest="config_file", metavar="FILE", help="YAML config (env THTUI_CONFIG)", **kw
    )


def subcommand(sub: Any, name: str, help: str, **kw: Any) -> argparse.ArgumentParser:
    """A subparser that also accepts the global settings flags after the command name
    (`thtui list --data-root X`). SUPPRESS keeps it from clobbering values given before the command."""
    parser = sub.add_parser(name, help=help, description=help, **kw)
    add_global_flags(parser, default=argparse.SUPPRESS)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    keys = ("data_root", "outputs_dir", "conda_exe", "env_backend", "solutions_dir", "config_file")
    try:
        return load_settings({k: getattr(args, k, None) for k in keys})
    except ConfigError as exc:
        raise CliError(str(exc)) from None


def resolve_run_id(settings: Settings, given: str | None) -> str:
    """A run id as given, or the newest run for 'latest' (and for nothing at all)."""
    if given and given != "latest":
        return given
    from thtui.core.report.source import latest_run_id  # imported late: only run-reading commands need it

    latest = latest_run_id(settings)
    if latest is None:
        raise CliError(f"no runs yet in {settings.outputs_dir}; start one with `thtui run`")
    return latest


def catalog_from(settings: Settings) -> Catalog:
    try:
        return Catalog.load(settings.solutions_dir)
    except ManifestError as exc:
        raise CliError(str(exc)) from None


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich exits 1 on its own here; hand the error to thtui.cli.main, which ends every command the
        # same way when its reader goes away (`thtui list | head`).
        self.quiet = True
        raise BrokenPipeError


def console(stderr: bool = False) -> Console:
    # Honour NO_COLOR and non-terminals (rich does both); never wrap JSON.
    return _Console(stderr=stderr, highlight=False)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")
