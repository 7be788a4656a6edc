"""A stand-in for conda, mamba or micromamba, backed by venvs.

Implements what thtui uses: `create -p PREFIX [-c CH] [--override-channels] [-y] python=X.Y pkgs...`
(makes a venv at PREFIX with pip, records the specs in PREFIX/conda-meta/history), `install -p PREFIX
pkgs` (records them), `--version`, and `info --json`. The venv runs the Python that runs this script, so
`python=X.Y` is recorded, not honoured.

Knobs (environment): FAKE_CONDA_FAIL=create|install makes that command fail like conda does;
FAKE_CONDA_SLEEP=<seconds> sleeps after printing "Collecting package metadata" (for kill tests);
FAKE_CONDA_LOG=<file> appends each argv as one JSON line.

Use `install_fake_conda(bin_dir)` to put an executable `conda` (or another name) into a directory.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import venv
from pathlib import Path

VERSION = "24.11.3"


def _pip_sources() -> list[Path]:
    import pip

    pkg = Path(pip.__file__).parent
    dist = [p for p in pkg.parent.glob("pip-*.dist-info")]
    return [pkg, *dist]


def _site_packages(prefix: Path) -> Path:
    return prefix / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"


def create(prefix: Path, specs: list[str]) -> int:
    print("Collecting package metadata (repodata.json): done", flush=True)
    if os.environ.get("FAKE_CONDA_SLEEP"):
        time.sleep(float(os.environ["FAKE_CONDA_SLEEP"]))
    if os.environ.get("FAKE_CONDA_FAIL") == "create":
        print(
            "\nPackagesNotFoundError: The following packages are not available from current channels:",
            flush=True,
        )
        print("  - " + " ".join(specs), flush=True)
        return 1
    if prefix.exists():
        shutil.rmtree(prefix)
    # Copying this interpreter's pip is ~20x faster than ensurepip, and the venv owns its copy.
    venv.EnvBuilder(with_pip=False, symlinks=True).create(prefix)
    site = _site_packages(prefix)
    for src in _pip_sources():
        shutil.copytree(src, site / src.name, ignore=shutil.ignore_patterns("__pycache__"))
    meta = prefix / "conda-meta"
    meta.mkdir(exist_ok=True)
    (meta / "history").write_text(f"# fake conda {VERSION}\n# cmd: create {' '.join(specs)}\n")
    print("Preparing transaction: done\nVerifying transaction: done\nExecuting transaction: done", flush=True)
    return 0


def install(prefix: Path, specs: list[str]) -> int:
    if os.environ.get("FAKE_CONDA_FAIL") == "install":
        print("PackagesNotFoundError: " + " ".join(specs), flush=True)
        return 1
    if not (prefix / "conda-meta").is_dir():
        print(f"EnvironmentLocationNotFound: Not a conda environment: {prefix}", flush=True)
        return 1
    with open(prefix / "conda-meta" / "history", "a") as fh:
        fh.write(f"# cmd: install {' '.join(specs)}\n")
    return 0


def main(argv: list[str]) -> int:
    if os.environ.get("FAKE_CONDA_LOG"):
        with open(os.environ["FAKE_CONDA_LOG"], "a") as fh:
            fh.write(json.dumps([Path(sys.argv[0]).name, *argv]) + "\n")
    if not argv or argv[0] in ("--version", "-V"):
        print(f"{Path(sys.argv[0]).name} {VERSION}")
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "info":
        root = Path(sys.argv[0]).resolve().parent.parent
        print(
            json.dumps(
                {"conda_version": VERSION, "root_prefix": str(root), "envs": [], "platform": "linux-64"}
            )
        )
        return 0
    if cmd not in ("create", "install"):
        print(f"fake conda: unsupported command {cmd!r}", file=sys.stderr)
        return 2
    prefix, specs, i = None, [], 0
    while i < len(rest):
        a = rest[i]
        if a in ("-p", "--prefix"):
            prefix, i = Path(rest[i + 1]), i + 2
        elif a in ("-c", "--channel"):
            i += 2
        elif a in ("-n", "--name"):
            print("fake conda: thtui must use prefix envs (-p), not named envs (-n)", file=sys.stderr)
            return 2
        elif a.startswith("-"):
            i += 1
        else:
            specs.append(a)
            i += 1
    if prefix is None:
        print("CondaValueError: no prefix given (-p)", file=sys.stderr)
        return 2
    return create(prefix, specs) if cmd == "create" else install(prefix, specs)


def install_fake_conda(bin_dir: Path, name: str = "conda") -> Path:
    """Write an executable `name` into bin_dir that runs this module with the current interpreter."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    exe = bin_dir / name
    here = Path(__file__).resolve().parent
    exe.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(here)!r})\n"
        "import fake_conda\n"
        "sys.exit(fake_conda.main(sys.argv[1:]))\n"
    )
    exe.chmod(0o755)
    return exe


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
