"""The recipe check's --help stage runs each entry the way a job runs it: a script path, or
`python -m package.module` where the plan says so (MuseTalk, LatentSync: the script path alone fails with
ModuleNotFoundError on their own package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from thtui.core.config import repo_root
from thtui.core.plan import build_plan

ROOT = repo_root()


@pytest.fixture(scope="module")
def recipe_check():
    spec = importlib.util.spec_from_file_location("recipe_check", ROOT / "benchmarks" / "recipe_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("name", "head"),
    [
        ("musetalk", ["-m", "scripts.inference"]),
        ("latentsync", ["-m", "scripts.inference"]),
        ("wav2lip", ["inference.py"]),
    ],  # fmt: skip
)
def test_help_argv_follows_the_plan(
    recipe_check, catalog, settings, tmp_path: Path, name: str, head: list[str]
) -> None:
    loaded = catalog.get(name)
    assets = ROOT / "assets"
    plan = build_plan(
        loaded, settings, assets / "portrait.jpg", assets / "speech.wav", job_dir=tmp_path / "j"
    )
    argv = recipe_check.help_argv(list(plan.argv), loaded.solution.upstream.entry)
    assert argv is not None and argv[-1] == "--help"
    assert argv[0] == plan.argv[0]  # the env's python
    assert argv[1:-1][-len(head) :] == head or argv[-2].endswith(head[-1]), argv
    assert len(argv) <= 4, "nothing of the job's own arguments is kept"


def test_help_argv_without_the_entry_is_none(recipe_check) -> None:
    assert recipe_check.help_argv(["python", "other.py", "--x"], "inference.py") is None
