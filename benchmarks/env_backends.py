"""Env backends compared on one recipe: conda + uv (conda through the fake-conda stand-in here, since no
real conda exists on this machine) against uv alone (`uv venv` + `uv pip`), from a cold and a warm cache.

    nice -n 10 .venv/bin/python benchmarks/env_backends.py [--pip numpy==1.26.4 ...] [--repeat 1]

Each measurement is one `thtui.core.setup.install()` through the real engine (steps env -> requirements
-> verify; no upstream, no torch, no weights) into a fresh data root. Cold: an empty uv cache dir.
Warm: the same cache, filled by the cold run. Requirements come from PyPI (the network is used for the
cold runs). Reported: wall seconds of the env step, of the requirements step and of the whole install,
and the ratio conda+uv / uv. The stand-in conda is a venv plus a copy of pip (about what `python -m venv`
costs), so the conda column is a LOWER bound: a real `conda create` solves and downloads Python itself.
No target: the numbers are reported, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

DEFAULT_PIP = ["numpy==1.26.4", "scipy==1.11.4", "pillow==10.4.0", "tqdm==4.66.5"]


def one(backend: str, cache: Path, pip: list[str], scratch: Path) -> dict:
    from thtui.core.catalog.schema import Env
    from thtui.core.config import load_settings
    from thtui.core.gpu_info import GpuReport
    from thtui.core.setup import install
    from thtui.core.setup.record import Record
    from thtui.core.setup.target import SetupTarget

    home = Path(tempfile.mkdtemp(prefix=f"envbench-{backend}-", dir=scratch))
    environ = {
        **os.environ,
        "THTUI_HOME": str(home),
        "THTUI_ENV_BACKEND": backend,
        "UV_CACHE_DIR": str(cache),
    }
    environ.pop("THTUI_INSTALLER", None)  # uv installs the requirements in both columns
    settings = load_settings(environ=environ)
    os.environ.update({"UV_CACHE_DIR": str(cache)})
    py = f"{sys.version_info.major}.{sys.version_info.minor}"  # the stand-in conda runs this Python
    target = SetupTarget(name="bench", env=Env(python=py, pip=pip, verify_imports=["numpy"]))
    t0 = time.monotonic()
    result = install(settings, target, gpu=GpuReport(None, None, (), "benchmark"))
    total = time.monotonic() - t0
    record = Record.load(settings, "bench")
    out = {
        "backend": backend,
        "ok": result.ok,
        "error": result.error,
        "total_s": round(total, 2),
        "env_s": round(record.steps.get("env", {}).get("seconds", 0.0), 2),
        "requirements_s": round(record.steps.get("requirements", {}).get("seconds", 0.0), 2),
        "manager": record.info("env").get("manager"),
    }
    shutil.rmtree(home, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    from stand_ins.fake_conda import install_fake_conda

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pip", nargs="+", default=DEFAULT_PIP)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="envbench-"))
    try:
        bin_dir = scratch / "bin"
        install_fake_conda(bin_dir)
        os.environ["PATH"] = f"{bin_dir}{os.pathsep}{os.environ['PATH']}"
        rows = []
        for backend in ("conda", "uv"):
            cache = scratch / f"cache-{backend}"
            for state in ("cold", "warm"):
                row = one(backend, cache, args.pip, scratch)
                row["cache"] = state
                rows.append(row)
                print(
                    f"{backend:5} {state}: total {row['total_s']:6.2f} s (env {row['env_s']:5.2f} s, requirements "
                    f"{row['requirements_s']:5.2f} s) {'ok' if row['ok'] else 'FAILED: ' + str(row['error'])}",
                    flush=True,
                )
        by = {(r["backend"], r["cache"]): r["total_s"] for r in rows}
        for state in ("cold", "warm"):
            if by[("uv", state)]:
                print(
                    f"{state}: conda(stand-in)+uv / uv alone = {by[('conda', state)] / by[('uv', state)]:.2f}"
                )
        if args.json:
            args.json.write_text(json.dumps(rows, indent=2) + "\n")
        return 0 if all(r["ok"] for r in rows) else 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
