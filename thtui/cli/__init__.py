"""Command line: bare `thtui` opens the TUI; every subcommand is a headless twin over thtui.core.

Start-up is lazy. `COMMANDS` below is a light table (name, module, help line); only the module of the
command actually typed is imported, and only it registers its real arguments. `thtui --help` lists the
commands from the table alone, so it never loads rich, pydantic, numpy or the media layer.

Adding a command is one line in `COMMANDS`: ("name", "thtui.cli.<module>", "help line"). The module
exposes `register(sub)` and adds each of its commands with `thtui.cli.common.subcommand(sub, name, help)`;
one module may register several commands (each gets its own line here, with the same help text: a test,
tests/unit/test_cli_lazy.py, checks that the table and the modules agree). Keep new modules' top-level
imports light anyway: the TUI and `--help` of that command pay for them.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from types import ModuleType

from thtui import __version__
from thtui.cli.flags import add_global_flags

# (command, module that registers it, help line shown by `thtui --help`). Order = order in --help.
# fmt: off
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("list", "thtui.cli.catalog_cmds", "every solution with install status, licence and estimates"),
    ("doctor", "thtui.cli.catalog_cmds", "check GPU, driver, conda, git, ffmpeg, disk and settings"),
    ("plan", "thtui.cli.catalog_cmds", "show the exact argv, cwd and environment inference would use (no side effects)"),
    ("setup", "thtui.cli.setup_cmds", "install solutions (clone, env, torch, requirements, weights, verify); resumable"),
    ("status", "thtui.cli.setup_cmds", "install state of every solution: not installed / partial / ready / broken / outdated"),
    ("verify", "thtui.cli.setup_cmds", "rerun the verify step: imports, torch on this GPU, weight checksums"),
    ("uninstall", "thtui.cli.setup_cmds", "remove env, clone and the weights no other installed solution uses"),
    ("bootstrap", "thtui.cli.setup_cmds", "prepare a fresh Ubuntu GPU box: apt packages, Miniforge, uv"),
    ("compare", "thtui.cli.report_cmds", "side-by-side video of a run's solutions in one labelled grid (mp4)"),
    ("rate", "thtui.cli.report_cmds", "score a solution's video 1-5 on lip-sync, head motion, artifacts, identity"),
    ("report", "thtui.cli.report_cmds", "a shareable report of a run (md, html, csv, json), or --diff of two runs"),
    ("say", "thtui.cli.say_cmd", "speak TEXT into a WAV with Piper (offline, bundled voice) or Coqui"),
    ("check-inputs", "thtui.cli.say_cmd", "validate a portrait and an audio file (and what each system needs)"),
    ("run", "thtui.cli.run_cmds", "run solutions on an image and audio (or text), live, measured and resumable"),
    ("runs", "thtui.cli.runs_cmd", "past runs, newest first, with their ids and job counts"),
    ("cluster", "thtui.cli.cluster_cmd", "several machines, one benchmark: join a Ray cluster, list its nodes, install on every node"),
    ("score", "thtui.cli.score_cmd", "offline scores of a video: face, lip-sync proxy, identity, motion, sharpness"),
    ("serve", "thtui.cli.serve_cmd", "serve the TUI to a web browser (textual-serve; for an SSH tunnel)"),
)
# fmt: on

# Kept for callers that want every module (build_parser() with no command): the table's modules, in order.
COMMAND_MODULES = list(dict.fromkeys(module for _, module, _ in COMMANDS))
ALL = "*"  # build_parser(ALL): every command with its real arguments (tests, docs); slow, imports everything


def _top_parser() -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    parser = argparse.ArgumentParser(
        prog="thtui",
        description="Install, run and benchmark open-source talking-head systems. "
        "With no command, opens the terminal UI.",
    )
    parser.add_argument("--version", action="version", version=f"thtui {__version__}")
    add_global_flags(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser, sub


def build_parser(command: str | None = ALL) -> argparse.ArgumentParser:
    """The parser with real arguments for `command`'s module (ALL: every module; None: no module).

    Every other command is a placeholder carrying only its help line: it keeps `thtui --help` complete
    and lets the first pass find which command was typed. A placeholder takes no -h of its own
    (add_help=False), so `thtui run -h` reaches the real parser built in the second pass.
    """
    parser, sub = _top_parser()
    wanted = {m for n, m, _ in COMMANDS if command == ALL or n == command}
    registered: set[str] = set()
    for name, module, help_line in COMMANDS:
        if module in wanted:
            if module not in registered:
                _import_quietly(module).register(sub)
                registered.add(module)
        else:
            sub.add_parser(name, help=help_line, add_help=False)
    return parser


def _import_quietly(module: str) -> ModuleType:
    """import_module with the garbage collector paused: a command's imports (rich, pydantic ...) make
    long-lived objects only, and collecting meanwhile took ~5-10 % of `thtui list`'s start-up."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        return importlib.import_module(module)
    finally:
        if was_on:
            gc.enable()


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Two passes: find the command with placeholders only (this is where --help and --version end), then
    parse again with that command's module registered, so its arguments are checked for real."""
    first, extras = build_parser(None).parse_known_args(argv)
    if first.command is None:
        if extras:  # `thtui --bogus`: same error as a full parser would give
            build_parser(None).error(f"unrecognized arguments: {' '.join(extras)}")
        return first
    return build_parser(first.command).parse_args(argv)


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
    args = parse_args(argv)
    # Imported after parsing: --help and --version end above without them.
    from thtui.cli.common import CliError
    from thtui.core.paths_check import PathProblem

    try:
        if args.command is None:
            if not (sys.stdin.isatty() and sys.stdout.isatty()):
                # Textual would write escape codes into a file and wait for keys that never come.
                print(f"thtui: {NO_TERMINAL}", file=sys.stderr)
                return 2
            # Start-up: the TUI's imports and first frame allocate long-lived objects by the hundred
            # thousand; collecting meanwhile (~10 % of that time) frees nothing. The collector is back
            # on after the first frame (thtui.tui.app.freeze_gc) or when the app ends (run_tui).
            gc.disable()
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
