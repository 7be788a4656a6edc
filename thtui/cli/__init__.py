"""Command line: bare `thtui` opens the TUI; every subcommand is a headless twin over thtui.core.

Each command group lives in its own module exposing `register(subparsers)`; the module list below is the
only place that knows them all.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from thtui import __version__
from thtui.cli.common import CliError, add_global_flags

COMMAND_MODULES = [
    "thtui.cli.catalog_cmds",  # list, doctor, plan
    "thtui.cli.setup_cmds",  # setup, status, verify, uninstall, bootstrap
    "thtui.cli.report_cmds",  # compare, rate, report
    "thtui.cli.say_cmd",  # say, check-inputs
    "thtui.cli.run_cmds",  # run, runs
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="thtui",
        description="Install, run and benchmark open-source talking-head systems. "
        "With no command, opens the terminal UI.",
    )
    parser.add_argument("--version", action="version", version=f"thtui {__version__}")
    add_global_flags(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            from thtui.tui.app import run_app  # imported late: headless commands never load Textual

            return run_app(args)
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"thtui: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("thtui: interrupted", file=sys.stderr)
        return 130
