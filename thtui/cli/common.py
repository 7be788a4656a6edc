"""Flags every command shares, and the helpers that turn them into core objects."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console

# Re-exported: command modules take them from here. They live in thtui.cli.flags, light enough for `--help`.
from thtui.cli.flags import add_global_flags as add_global_flags
from thtui.cli.flags import subcommand as subcommand
from thtui.core.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from thtui.core.catalog import Catalog


class CliError(Exception):
    """A user-facing failure: printed as one line (no traceback), exit code `code`."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


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
    # Imported here: pydantic and the manifests cost more than the rest of start-up, and commands such as
    # `runs` never need them.
    from thtui.core.catalog import Catalog, ManifestError

    # The validated catalog is cached under the data root (thtui/core/catalog/cache.py), when one exists:
    # a read-only view such as `thtui list` does not create the data root of a fresh machine.
    cache_dir = settings.cache_dir if settings.data_root.is_dir() else None
    try:
        return Catalog.load(settings.solutions_dir, cache_dir=cache_dir)
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
