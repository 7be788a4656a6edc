"""Generate (or check) the lock files of the solution manifests: solutions/<name>/lock/<profile>.txt.

    .venv/bin/python benchmarks/lock_recipes.py --all            # regenerate every lock (needs PyPI)
    .venv/bin/python benchmarks/lock_recipes.py wav2lip sadtalker
    .venv/bin/python benchmarks/lock_recipes.py --all --check    # offline: exit 1 when a lock is stale

Each lock is `uv pip compile` of the manifest's pip pins plus the torch profile's pins, for the manifest's
Python on Linux x86_64 (manylinux_2_28), against PyPI, with the torch family dropped (it comes from the
profile's CUDA index at install time): see thtui/core/setup/lockgen.py for what a lock holds and why.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PYPI = "https://pypi.org/simple"


def compile_lock(uv: str, name: str, manifest: Path, profile: str) -> str:
    from thtui.core.catalog import load_manifest
    from thtui.core.setup.lockgen import PLATFORM, render_lock, torch_pins

    env = load_manifest(manifest).solution.env
    assert env is not None
    reqs = [*env.pip, *torch_pins(env.torch.get(profile))]
    with tempfile.NamedTemporaryFile("w", suffix=".in", delete=False) as fh:
        fh.write("\n".join(reqs) + "\n")
    argv = [uv, "pip", "compile", fh.name, "--python-version", env.python, "--python-platform", PLATFORM]
    argv += ["--index-url", PYPI, "--no-header", "--no-annotate", "--quiet", "--no-config"]
    for url in env.pip_extra_index:
        argv += ["--extra-index-url", url, "--index-strategy", "unsafe-best-match"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    Path(fh.name).unlink()
    if out.returncode != 0:
        raise RuntimeError(f"{name}/{profile}: {(out.stderr.strip().splitlines() or ['?'])[-1]}")
    version = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.strip()
    return render_lock(name, profile, env, out.stdout, f"benchmarks/lock_recipes.py ({version})")


def stale(manifest: Path) -> list[str]:
    """Problems of one manifest's locks, offline: missing, stale, or left over for a profile that is gone."""
    from thtui.core.catalog import load_manifest
    from thtui.core.setup.lockgen import fresh_lock, lock_dir, lockable, profiles

    env = load_manifest(manifest).solution.env
    if env is None or not env.pip or lockable(env):
        return []
    problems = [why for p in profiles(env) if (why := fresh_lock(manifest, env, p)[1])]
    extra = {p.stem for p in lock_dir(manifest).glob("*.txt")} - set(profiles(env))
    return problems + [f"{lock_dir(manifest)}/{p}.txt has no torch profile {p!r}" for p in sorted(extra)]


def main(argv: list[str] | None = None) -> int:
    from thtui.core.catalog import load_manifest
    from thtui.core.envs.runtime import find_uv
    from thtui.core.setup.lockgen import lock_path, lockable, profiles

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--check", action="store_true", help="only say which locks are stale (offline)")
    args = ap.parse_args(argv)
    manifests = sorted((ROOT / "solutions").glob("*/solution.yaml"))
    if not args.all:
        manifests = [m for m in manifests if m.parent.name in args.names]
    if not manifests:
        ap.error("name solutions, or --all")
    if args.check:
        problems = [p for m in manifests for p in stale(m)]
        print("\n".join(problems) or f"{len(manifests)} manifests: every lock is fresh")
        return 1 if problems else 0
    uv = find_uv()
    if not uv:
        ap.error("uv is needed: pip install uv")
    rc = 0
    for manifest in manifests:
        sol = load_manifest(manifest).solution
        if sol.env is None or not sol.env.pip:
            continue
        if why := lockable(sol.env):
            print(f"{sol.name}: no lock ({why})")
            continue
        for profile in profiles(sol.env):
            try:
                text = compile_lock(uv, sol.name, manifest, profile)
            except RuntimeError as exc:
                print(f"FAILED {exc}")
                rc = 1
                continue
            path = lock_path(manifest, profile)
            path.parent.mkdir(exist_ok=True)
            path.write_text(text)
            print(f"{sol.name}/{profile}: {len(text.splitlines()) - 4} pins -> {path.relative_to(ROOT)}")
    return rc


if __name__ == "__main__":
    raise SystemExit(main())
