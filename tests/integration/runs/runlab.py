"""Helpers for the runs engine's integration tests: the stand-in solution installed as if by setup (clone + env), inputs,
a fake GPU fed by the stand-in's own processes, and helpers to run a spec and look at what it left."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from media_factory import make_tone
from processes import kill_leftovers
from stand_ins.installed import STANDIN, install_as_setup_leaves

from thtui.core.catalog import Catalog
from thtui.core.config import Settings, repo_root
from thtui.core.events import Collector
from thtui.core.jobs import RunResult, RunSpec, start_run
from thtui.core.jobs.proctree import find_marked, kill_marked
from thtui.core.monitor import FakeGpuBackend, Monitor
from thtui.core.monitor.backends import FakeDevice
from thtui.core.store import Store


def make_image(path: Path, size: int = 64) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (size, size), (192, 128, 64)).save(path)
    return path


@dataclass
class Lab:
    settings: Settings
    catalog: Catalog
    backend: FakeGpuBackend
    monitor: Monitor
    image: Path
    audio: Path
    pidfile: Path
    tmp: Path

    def spec(self, *solutions: str, **kw) -> RunSpec:
        kw.setdefault("images", (self.image,))
        if "text" not in kw:
            kw.setdefault("audios", (self.audio,))
        return RunSpec(solutions=solutions or ("standin",), **kw)

    def run(
        self, spec: RunSpec | None = None, cancel: threading.Event | None = None, **kw
    ) -> tuple[RunResult, Collector]:
        events = Collector()
        result = start_run(
            self.settings, self.catalog, spec or self.spec(), events, cancel, monitor=self.monitor,
            store=self.store(), fingerprint=False, **kw,
        )  # fmt: skip
        return result, events

    def store(self) -> Store:
        return Store(self.settings.db_path)

    def child_pids(self) -> list[int]:
        if not self.pidfile.exists():
            return []
        return [int(x) for x in self.pidfile.read_text().split()]


def install_standin(settings: Settings, loaded) -> None:
    install_as_setup_leaves(settings, loaded, STANDIN / "repo")


@pytest.fixture
def lab(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    solutions = tmp_path / "solutions"  # the stand-in beside the real static baseline, for CLI runs too
    for name, src in (("standin", STANDIN), ("static", repo_root() / "solutions" / "static")):
        (solutions / name).mkdir(parents=True)
        shutil.copyfile(src / "solution.yaml", solutions / name / "solution.yaml")
    monkeypatch.setenv("THTUI_SOLUTIONS", str(solutions))
    catalog = Catalog.load(solutions)
    install_standin(settings, catalog.get("standin"))
    fake_dir = tmp_path / "fakegpu"
    fake_dir.mkdir()
    pidfile = tmp_path / "children.pids"
    monkeypatch.setenv("STANDIN_FAKE_GPU_DIR", str(fake_dir))
    monkeypatch.setenv("STANDIN_PIDFILE", str(pidfile))
    monkeypatch.setenv("STANDIN_DELAY", "0.3")
    for var in ("STANDIN_MODE", "STANDIN_CODEC", "STANDIN_VRAM_MB", "THTUI_GPU_BACKEND"):
        monkeypatch.delenv(var, raising=False)
    backend = FakeGpuBackend(devices=[FakeDevice(power_w=100.0)], pid_dir=fake_dir)
    monitor = Monitor(backend, rate_hz=20).start()
    lab = Lab(settings, catalog, backend, monitor, make_image(tmp_path / "in" / "face.png"),
              make_tone(tmp_path / "in" / "speech.wav", 1.0), pidfile, tmp_path)  # fmt: skip
    yield lab
    lab.monitor.stop()
    # Never leave a stray process behind, even when a test failed half-way through a run: every job
    # process carries THTUI_JOB_ID=<run-id>/..., and the stand-in's children are in the pid file.
    for run_dir in lab.settings.outputs_dir.glob("2*"):
        kill_marked(f"{run_dir.name}/", prefix=True, grace=0.5)
    kill_leftovers(lab.child_pids())


def marked(run_id: str) -> list[int]:
    return [p.pid for p in find_marked(f"{run_id}/", prefix=True)]


def ffprobe_codecs(path: Path) -> str:
    from thtui.core.media import probe

    return probe(path).describe()


@pytest.fixture
def _inputs_fallback() -> None:
    """No longer needed (thtui.core.inputs has landed); kept because tests/integration/report imports it."""
