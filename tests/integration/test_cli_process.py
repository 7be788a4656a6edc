"""The `thtui` process as a shell sees it: a reader that goes away early, no terminal at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from thtui.cli import EXIT_BROKEN_PIPE, NO_TERMINAL
from thtui.core.config import Settings, repo_root
from thtui.core.store import Store


def _closed_reader(argv: list[str]) -> tuple[int, str]:
    """Run `python -m thtui ARGV` with its stdout a pipe whose reader has already gone (like `| head` that
    has read what it wanted), so every write of the child fails with EPIPE, deterministically."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "thtui", *argv],
        cwd=repo_root(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # before the child has imported anything, let alone written
    err = proc.stderr.read().decode()
    proc.stderr.close()
    return proc.wait(timeout=60), err


@pytest.mark.parametrize(
    ("argv", "codes"),
    [
        (["list", "--json"], {EXIT_BROKEN_PIPE}),
        (["list"], {EXIT_BROKEN_PIPE}),
        # argparse swallows errors writing its help and exits 0 itself: quiet either way
        (["--help"], {0, EXIT_BROKEN_PIPE}),
        (["report", "--help"], {0, EXIT_BROKEN_PIPE}),
    ],
    ids=["json", "rich-table", "argparse-help", "subcommand-help"],
)
def test_a_closed_pipe_ends_quietly_with_sigpipe_status(
    settings: Settings, argv: list[str], codes: set[int]
) -> None:
    rc, err = _closed_reader(argv)
    assert "Traceback" not in err and "Exception ignored" not in err and "BrokenPipe" not in err, err
    assert err == ""
    assert rc in codes and EXIT_BROKEN_PIPE == 141


def test_head_reading_a_few_bytes_of_a_long_output(settings: Settings) -> None:
    """`thtui runs --json | head -c 10` with more output than a pipe holds (64 KiB): the child is still
    writing when the reader leaves."""
    store = Store(settings.db_path)
    try:
        for i in range(400):
            run_id = f"20260101-{i:06d}-beef"
            store.create_run(run_id, {"solutions": ["static"], "images": ["/x/face.png"]},
                             settings.outputs_dir / run_id, [])  # fmt: skip
    finally:
        store.close()
    proc = subprocess.Popen(
        [sys.executable, "-m", "thtui", "runs", "--json"],
        cwd=repo_root(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.read(10)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert first.startswith(b"[")
    assert proc.wait(timeout=60) == EXIT_BROKEN_PIPE and err == "", err


def test_the_app_without_a_terminal_says_so_and_exits(settings: Settings, tmp_path: Path) -> None:
    """`thtui < /dev/null > f`: no escape codes in f, no hang, one line on stderr."""
    out = tmp_path / "f"
    with out.open("wb") as f:
        proc = subprocess.run(
            [sys.executable, "-m", "thtui"],
            cwd=repo_root(),
            stdin=subprocess.DEVNULL,
            stdout=f,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    assert proc.returncode == 2
    assert proc.stderr.decode() == f"thtui: {NO_TERMINAL}\n"
    assert NO_TERMINAL == (
        "thtui's app needs a terminal (stdin and stdout must be a TTY); "
        "for scripts use the subcommands, see thtui --help"
    )
    assert out.read_bytes() == b""
