"""Lock files: every lock in solutions/ is fresh against its manifest (the hash of the inputs in its
header), the five systems have one per torch profile, and the lock helpers mean what they say."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from thtui.core.catalog import load_manifest
from thtui.core.catalog.schema import Env
from thtui.core.config import repo_root
from thtui.core.setup.lockgen import fresh_lock, lock_differences, lock_dir, profiles, read_lock, render_lock

SOLUTIONS = repo_root() / "solutions"
LOCKED = ["audio2head", "echomimic", "sadtalker", "v_express", "wav2lip"]


def _with_lock_dir() -> list[Path]:
    return sorted(m for m in SOLUTIONS.glob("*/solution.yaml") if lock_dir(m).is_dir())


@pytest.mark.parametrize("manifest", _with_lock_dir(), ids=lambda m: m.parent.name)
def test_every_lock_is_fresh_against_its_manifest(manifest: Path) -> None:
    env = load_manifest(manifest).solution.env
    assert env is not None
    stale = [why for p in profiles(env) if (why := fresh_lock(manifest, env, p)[1])]
    assert not stale, "regenerate with: .venv/bin/python benchmarks/lock_recipes.py " + manifest.parent.name
    assert {p.stem for p in lock_dir(manifest).glob("*.txt")} == set(profiles(env))


def test_the_five_systems_have_locks() -> None:
    assert [m.parent.name for m in _with_lock_dir() if m.parent.name in LOCKED] == LOCKED


def test_a_changed_pin_makes_the_lock_stale(tmp_path: Path) -> None:
    src = SOLUTIONS / "wav2lip"
    shutil.copytree(src, tmp_path / "wav2lip")
    manifest = tmp_path / "wav2lip" / "solution.yaml"
    assert fresh_lock(manifest, load_manifest(manifest).solution.env, "cu121")[0] is not None
    data = yaml.safe_load(manifest.read_text())
    data["env"]["pip"] = [p.replace("tqdm==4.66.5", "tqdm==4.67.0") for p in data["env"]["pip"]]
    manifest.write_text(yaml.safe_dump(data, sort_keys=False))
    lock, why = fresh_lock(manifest, load_manifest(manifest).solution.env, "cu121")
    assert lock is None and "is stale against the manifest" in why


def test_lock_drops_the_torch_family_and_reports_differences(tmp_path: Path) -> None:
    env = Env(python="3.10", pip=["numpy==1.26.4"])
    compiled = "numpy==1.26.4\ntorch==2.1.2\nnvidia-cudnn-cu12==8.9.2.26\ntriton==2.1.0\nSympy==1.13.3\n"
    path = tmp_path / "default.txt"
    path.write_text(render_lock("x", "default", env, compiled, "test"))
    lock = read_lock(path)
    assert lock is not None and lock.pins == {"numpy": "1.26.4", "sympy": "1.13.3"}
    assert lock_differences(lock, {"NumPy": "1.26.4", "sympy": "1.14.0"}) == ["sympy 1.14.0 (lock 1.13.3)"]
    assert lock_differences(lock, {"numpy": "1.26.4"}) == ["sympy missing (lock 1.13.3)"]
