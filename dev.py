#!/usr/bin/env python3
"""Zero-setup entry point: needs only python3 (>= 3.10).

    python3 dev.py            # first use: creates .venv and installs thtui; then opens the app
    python3 dev.py list       # any thtui subcommand, through the same venv
    python3 dev.py test       # installs the test extras and runs the whole test suite

Standard library only, because it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("THTUI_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
# pytest-xdist workers: two cores here; more on a dev box.
TEST_ARGS = ["-n", os.environ.get("THTUI_TEST_WORKERS", "auto"), "-q"]


def _say(msg: str) -> None:
    print(f"[thtui] {msg}", file=sys.stderr, flush=True)


def _ensure_venv(extras: str) -> None:
    """Create the venv and (re)install the project when pyproject.toml or the extras changed."""
    if sys.version_info < (3, 10):  # noqa: UP036 -- dev.py itself runs under any python3; say why, clearly
        sys.exit("thtui needs Python >= 3.10; this is " + sys.version.split()[0])
    stamp = VENV / f".thtui-installed-{extras or 'app'}"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want and PY.exists():
        return
    if not PY.exists():
        _say(f"creating {VENV} (first run only)")
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # Debian without python3-venv is the usual cause
            sys.exit(
                f"could not create a virtual environment ({exc}); on Debian/Ubuntu: apt install python3-venv"
            )
    target = f".[{extras}]" if extras else "."
    _say(f"installing thtui{f' with [{extras}]' if extras else ''} into {VENV} (about a minute, once)")
    cmd = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", target]
    if subprocess.call(cmd, cwd=ROOT) != 0:
        sys.exit("pip install failed; see the messages above")
    stamp.write_text(want)


def main(argv: list[str]) -> int:
    if argv[:1] == ["test"]:
        _ensure_venv("test")
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        return subprocess.call([str(PY), "-m", "pytest", *TEST_ARGS, *argv[1:]], cwd=ROOT, env=env)
    _ensure_venv("")
    exe = BIN / "thtui"
    os.execv(str(exe), [str(exe), *argv])
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
