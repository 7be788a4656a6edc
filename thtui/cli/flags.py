"""The settings flags every command shares, kept light: `thtui --help` builds its parser from this module
alone (argparse and thtui.core.config), without rich, pydantic or the catalog that thtui.cli.common loads."""

from __future__ import annotations

import argparse
from typing import Any

from thtui.core.config import ENV_BACKENDS, FLAGS


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
    g.add_argument(FLAGS["env_backend"], dest="env_backend", choices=list(ENV_BACKENDS), **kw)
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
