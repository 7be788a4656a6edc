"""Command line: bare `thtui` opens the TUI; every subcommand is a headless twin over thtui.core.

Each command group lives in its own module exposing `register(subparsers)`; the module list below is the
only place that knows them all.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from thtui import __version__
from thtui.cli.common import CliError, add_global_flags
from thtui.core.paths_check import PathProblem

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


# A reader that went away (`thtui list --json | head`) is not an error of ours. 128 + SIGPIPE is what the
# shell reports for a tool killed by SIGPIPE (coreutils' `seq 1000000 | head -1` under `set -o pipefail`):
# the output was cut short, so 0 would claim it was all delivered, and 1 would look like a failure of ours.
EXIT_BROKEN_PIPE = 128 + 13
NO_TERMINAL = (
    "thtui's app needs a terminal (stdin and stdout must be a TTY); "
    "for scripts use the subcommands, see thtui --help"
)


def main(argv: list[str] | None = None) -> int:
    try:
        try:
            return _main(sys.argv[1:] if argv is None else argv)
        finally:
            # Buffered output reaches a closed pipe here, not in the interpreter's exit flush where the
            # error could only be printed as "Exception ignored ...".
            sys.stdout.flush()
    except BrokenPipeError:
        # The Python docs' recipe: point stdout at devnull so the exit flush has somewhere to go.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command is None:
            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                # Textual would write escape codes into a file and wait for keys that never come.
                print(f"thtui: {NO_TERMINAL}", file=sys.stderr)
                return 2
            from thtui.tui.app import run_app  # imported late: headless commands never load Textual

            return run_app(args)
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"thtui: {exc}", file=sys.stderr)
        return exc.code
    except PathProblem as exc:  # a folder or file destination that cannot be used: one line, no traceback
        print(f"thtui: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("thtui: interrupted", file=sys.stderr)
        return 130
