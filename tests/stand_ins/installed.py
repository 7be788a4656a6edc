"""A solution installed as `thtui setup` would leave it, without running setup: the clone (a copy of a
local repo dir), an env whose `python` is this interpreter, and the setup record with every step done at
the manifest's current fingerprints, so install_status says "ready". For the runs engine, TUI tests and
benchmarks; the install flow itself is tested for real against the fake conda (tests/integration/setup)."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

from thtui.core.catalog import Catalog, LoadedSolution
from thtui.core.config import Settings, load_settings, repo_root
from thtui.core.install_status import solution_status
from thtui.core.setup.record import Record
from thtui.core.setup.target import STEPS, target_of

STANDIN = repo_root() / "tests" / "fixtures" / "solutions" / "standin"


def install_as_setup_leaves(settings: Settings, loaded: LoadedSolution, repo: Path) -> None:
    name = loaded.name
    shutil.copytree(repo, settings.repos_dir / name)
    python = settings.envs_dir / name / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    record = Record(name, manifest_digest=loaded.digest)
    for step, fp in target_of(loaded).fingerprints().items():
        assert step in STEPS
        record.mark_done(step, fp, 0.0, {"stand_in": True})
    record.complete = True
    record.save(settings)
    assert solution_status(settings, loaded).state == "ready"


def standin_home(root: Path) -> tuple[Settings, Catalog]:
    """A throwaway data root under `root` whose catalog holds only the stand-in, installed (for the
    benchmarks, which run the real scheduler on it outside pytest)."""
    (root / "solutions" / "standin").mkdir(parents=True)
    shutil.copyfile(STANDIN / "solution.yaml", root / "solutions" / "standin" / "solution.yaml")
    env = {"THTUI_HOME": str(root / "home"), "THTUI_OUTPUTS": str(root / "outputs"),
           "THTUI_SOLUTIONS": str(root / "solutions"), "THTUI_CONFIG": str(root / "none.yaml")}  # fmt: skip
    settings = load_settings(environ={**os.environ, **env}, cwd=root)
    catalog = Catalog.load(settings.solutions_dir)
    install_as_setup_leaves(settings, catalog.get("standin"), STANDIN / "repo")
    return settings, catalog
