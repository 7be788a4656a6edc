"""Helpers for the TUI tests: an app over tmp data roots with the stand-in solution and the fake GPU,
and small waiting helpers (poll the app's own state; never sleep longer than needed)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from stand_ins.installed import STANDIN, install_as_setup_leaves
from textual.pilot import Pilot

from thtui.core.catalog import Catalog, load_manifest
from thtui.core.config import Settings, repo_root
from thtui.core.monitor import FakeDevice, FakeGpuBackend
from thtui.tui.app import ThtuiApp

STATIC = repo_root() / "solutions" / "static" / "solution.yaml"
FROZEN_NOW = 1_750_000_000.0


def install_standin(settings: Settings, catalog: Catalog, name: str = "standin") -> None:
    """What a finished setup leaves (the install flow itself is tested for real in test_solutions.py)."""
    install_as_setup_leaves(settings, catalog.get(name), STANDIN / "repo")


@dataclass
class TuiLab:
    settings: Settings
    catalog: Catalog
    backend: FakeGpuBackend
    tmp: Path
    pidfile: Path
    apps: list[ThtuiApp] = field(default_factory=list)

    def app(self, **kw) -> ThtuiApp:
        kw.setdefault("gpu_backend_factory", lambda: self.backend)
        kw.setdefault("clock", lambda: FROZEN_NOW)
        kw.setdefault("monitor_hz", 20.0)
        app = ThtuiApp(self.settings, kw.pop("catalog", self.catalog), **kw)
        self.apps.append(app)
        return app

    def install(self, name: str = "standin") -> None:
        install_standin(self.settings, self.catalog, name)

    def child_pids(self) -> list[int]:
        if not self.pidfile.exists():
            return []
        return [int(x) for x in self.pidfile.read_text().split()]


def make_lab(settings: Settings, tmp_path: Path, monkeypatch) -> TuiLab:
    catalog = Catalog([load_manifest(STANDIN / "solution.yaml"), load_manifest(STATIC)])
    fake_dir = tmp_path / "fakegpu"
    fake_dir.mkdir()
    pidfile = tmp_path / "children.pids"
    monkeypatch.setenv("STANDIN_FAKE_GPU_DIR", str(fake_dir))
    monkeypatch.setenv("STANDIN_PIDFILE", str(pidfile))
    monkeypatch.setenv("STANDIN_DELAY", "0.3")
    for var in ("STANDIN_MODE", "STANDIN_CODEC", "STANDIN_VRAM_MB", "NO_COLOR", "THTUI_ASCII"):
        monkeypatch.delenv(var, raising=False)
    backend = FakeGpuBackend(devices=[FakeDevice(power_w=100.0)], pid_dir=fake_dir)
    return TuiLab(settings, catalog, backend, tmp_path, pidfile)


async def wait_for(
    pilot: Pilot, predicate: Callable[[], object], timeout: float = 20.0, what: str = ""
) -> None:
    """Let the app run until `predicate()` is true (checked every 20 ms of app time)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what or predicate}")
        await pilot.pause(0.02)


def screen_text(app: ThtuiApp) -> str:
    """The visible screen as plain text: what a user reads."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def upstream_catalog(tmp: Path, names: tuple[str, ...] = ("standin",)) -> Catalog:
    """Stand-in manifests whose upstream is a local git repo (file://), for the real setup engine."""
    import yaml

    sys.path.insert(0, str(repo_root() / "tests"))
    from stand_ins.gitrepo import commit_files, file_url

    files = {p.name: p.read_text() for p in (STANDIN / "repo").iterdir() if p.is_file()}
    upstream = tmp / "upstream"
    commit = commit_files(upstream, files)
    solutions = tmp / "solutions"
    loaded = [load_manifest(STATIC)]
    for name in names:
        data = yaml.safe_load((STANDIN / "solution.yaml").read_text())
        data["name"] = name
        data["upstream"] = {"repo": file_url(upstream), "commit": commit, "entry": "inference.py"}
        (solutions / name).mkdir(parents=True)
        (solutions / name / "solution.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        loaded.append(load_manifest(solutions / name / "solution.yaml"))
    return Catalog(loaded)


def use_fake_conda(tmp: Path, monkeypatch) -> None:
    import os

    sys.path.insert(0, str(repo_root() / "tests"))
    from stand_ins.fake_conda import install_fake_conda

    bin_dir = tmp / "fakebin"
    install_fake_conda(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for var in ("CONDA_EXE", "MAMBA_EXE", "VIRTUAL_ENV", "PYTHONPATH"):
        monkeypatch.delenv(var, raising=False)
