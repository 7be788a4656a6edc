"""Helpers for the runs engine's integration tests: the stand-in solution installed as if by setup (clone + env), inputs,
a fake GPU fed by the stand-in's own processes, and helpers to run a spec and look at what it left."""

from __future__ import annotations

import contextlib
import shutil
import stat
import sys
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from thtui.core.catalog import Catalog
from thtui.core.config import Settings, repo_root
from thtui.core.events import Collector
from thtui.core.install_status import InstallStatus
from thtui.core.jobs import RunResult, RunSpec, scheduler, start_run
from thtui.core.jobs.proctree import find_marked
from thtui.core.monitor import FakeGpuBackend, Monitor
from thtui.core.monitor.backends import FakeDevice
from thtui.core.store import Store

STANDIN = repo_root() / "tests" / "fixtures" / "solutions" / "standin"


def _inputs_missing() -> bool:
    try:
        import thtui.core.inputs  # noqa: F401
    except ImportError:
        return True
    return False


@pytest.fixture(autouse=True)
def _inputs_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until thtui.core.inputs lands: copy the image and audio where the plan wants them (tests only)."""
    if not _inputs_missing():
        return
    from thtui.core.jobs import media_glue

    def prepare(plan, loaded) -> None:
        for item in plan.inputs:
            Path(item.dest).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(item.source, item.dest)

    monkeypatch.setattr(media_glue, "prepare", prepare)
    monkeypatch.setattr(media_glue, "check_image", lambda path: None)
    monkeypatch.setattr(media_glue, "check_audio", lambda path, max_seconds=None: None)
    monkeypatch.setattr(media_glue, "input_error_types", lambda: (ValueError,))


def make_tone(path: Path, seconds: float = 1.0, rate: int = 16000) -> Path:
    try:
        from media_factory import make_tone as factory_tone  # the media engineer's (tests/), when present

        return factory_tone(path, seconds=seconds)
    except (ImportError, TypeError):
        pass
    import math
    import struct

    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 220 * i / rate)))
        for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


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


def install_standin(settings: Settings) -> None:
    """What setup would leave: the clone (repo/ copied) and an env whose python is ours."""
    shutil.copytree(STANDIN / "repo", settings.repos_dir / "standin")
    bin_dir = settings.envs_dir / "standin" / "bin"
    bin_dir.mkdir(parents=True)
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(python.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def lab(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    solutions = tmp_path / "solutions"  # the stand-in beside the real static baseline, for CLI runs too
    for name, src in (("standin", STANDIN), ("static", repo_root() / "solutions" / "static")):
        (solutions / name).mkdir(parents=True)
        shutil.copyfile(src / "solution.yaml", solutions / name / "solution.yaml")
    monkeypatch.setenv("THTUI_SOLUTIONS", str(solutions))
    catalog = Catalog.load(solutions)
    install_standin(settings)
    real_status = scheduler.solution_status

    def status(s: Settings, loaded) -> InstallStatus:
        # The setup engine's record format is its own; the stand-in counts as installed once its clone
        # and env exist (test_refuses_uninstalled drives the real check).
        if loaded.name == "standin" and (s.envs_dir / "standin" / "bin" / "python").exists():
            return InstallStatus("ready")
        return real_status(s, loaded)

    monkeypatch.setattr(scheduler, "solution_status", status)
    fake_dir = tmp_path / "fakegpu"
    fake_dir.mkdir()
    pidfile = tmp_path / "children.pids"
    monkeypatch.setenv("STANDIN_FAKE_GPU_DIR", str(fake_dir))
    monkeypatch.setenv("STANDIN_PIDFILE", str(pidfile))
    monkeypatch.setenv("STANDIN_DELAY", "0.3")
    for var in ("STANDIN_MODE", "STANDIN_CODEC", "STANDIN_VRAM_MB"):
        monkeypatch.delenv(var, raising=False)
    backend = FakeGpuBackend(devices=[FakeDevice(power_w=100.0)], pid_dir=fake_dir)
    monitor = Monitor(backend, rate_hz=20).start()
    lab = Lab(settings, catalog, backend, monitor, make_image(tmp_path / "in" / "face.png"),
              make_tone(tmp_path / "in" / "speech.wav", 1.0), pidfile, tmp_path)  # fmt: skip
    yield lab
    monitor.stop()
    for pid in lab.child_pids():  # never leave a stray process behind, even when a test fails
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).kill()


def alive(pids: list[int]) -> list[int]:
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.Error:
            pass
    return out


def marked(run_id: str) -> list[int]:
    return [p.pid for p in find_marked(f"{run_id}/", prefix=True)]


def ffprobe_codecs(path: Path) -> str:
    from thtui.core.media import probe

    return probe(path).describe()
