"""The lazy CLI parser (issue 10, fast start): --help and --version import no command module, a command
imports only its own module, and the table of commands agrees with what the modules register."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from thtui.cli import ALL, COMMANDS, build_parser, parse_args

HEAVY = ["rich", "pydantic", "numpy", "textual", "thtui.core.catalog", "thtui.core.media", "thtui.cli.common"]


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _loaded_after(argv: list[str]) -> dict[str, object]:
    """Run thtui's main(argv) in a fresh interpreter; which modules did it import?"""
    code = (
        "import json, sys\n"
        "from thtui.cli import main\n"
        f"try:\n    rc = main({argv!r})\nexcept SystemExit as e:\n    rc = e.code\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write(json.dumps({'rc': rc, 'modules': sorted(sys.modules)}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return {"stdout": proc.stdout, **json.loads(proc.stderr.strip().splitlines()[-1])}


def test_the_table_matches_what_every_module_registers() -> None:
    full = _subparsers(build_parser(ALL))
    registered = [(c.dest, c.help) for c in full._choices_actions]
    assert registered == [(name, help_line) for name, _, help_line in COMMANDS]
    # Each module registers exactly the commands the table gives it (so one import serves its lines).
    for name, module, _ in COMMANDS:
        own = _subparsers(build_parser(name))._name_parser_map
        mine = {n for n, m, _ in COMMANDS if m == module}
        for cmd in mine:
            assert own[cmd].get_default("func") is not None, (module, cmd)
        for other in set(own) - mine:
            assert own[other].get_default("func") is None, (name, other)  # placeholders only


@pytest.mark.parametrize("argv", [["--help"], ["--version"]])
def test_help_and_version_import_no_command_module(argv: list[str]) -> None:
    got = _loaded_after(argv)
    assert got["rc"] == 0
    loaded = set(got["modules"])
    assert not {m for m in loaded for h in HEAVY if m == h or m.startswith(h + ".")}
    assert not {m for m in loaded if m.startswith("thtui.cli.") and m != "thtui.cli.flags"}
    if argv == ["--help"]:  # every command is still listed, with its help line
        for name, _, _ in COMMANDS:
            assert f"    {name} " in got["stdout"]
        assert "past runs, newest first" in got["stdout"]


def test_a_command_imports_only_its_own_module(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("THTUI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("THTUI_OUTPUTS", str(tmp_path / "out"))
    got = _loaded_after(["runs", "--json"])
    assert got["rc"] == 0 and json.loads(got["stdout"]) == []
    loaded = set(got["modules"])
    assert "thtui.cli.runs_cmd" in loaded
    others = {m for _, m, _ in COMMANDS} - {"thtui.cli.runs_cmd"}
    assert not loaded & others
    assert not {m for m in loaded if m == "pydantic" or m.startswith("thtui.core.catalog")}


def test_settings_flags_before_or_after_the_command_and_real_arguments() -> None:
    before = parse_args(["--data-root", "/x", "list", "--json"])
    after = parse_args(["list", "--data-root", "/y"])
    assert (before.command, before.data_root, before.json) == ("list", "/x", True)
    assert (after.command, after.data_root, after.json) == ("list", "/y", False)
    assert parse_args([]).command is None


def test_errors_are_argparse_errors(capsys) -> None:
    for argv in (["bogus"], ["--bogus"], ["list", "--bogus"], ["plan"]):
        with pytest.raises(SystemExit) as exc:
            parse_args(argv)
        assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'bogus'" in err and "unrecognized arguments: --bogus" in err
    assert "the following arguments are required: solution" in err  # plan's own arguments were checked


def test_a_commands_help_shows_its_real_arguments(capsys) -> None:
    with pytest.raises(SystemExit):
        parse_args(["run", "-h"])
    out = capsys.readouterr().out
    assert "--image" in out and "--resume" in out
