"""Resume: SIGKILL the real CLI mid-download and mid-pip-install, rerun, and check it continues where it
stopped (the .part file is resumed from its last byte; finished steps are not redone)."""

from __future__ import annotations

import os
import signal
import threading

import psutil
from setuplab import SetupLab, sha, wait_for
from stand_ins.packages import write_waiting_sdist

from thtui.core.events import Collector
from thtui.core.gpu_info import GpuReport
from thtui.core.install_status import solution_status
from thtui.core.setup import StepSkipped, install
from thtui.core.setup.record import child_path

NO_GPU = GpuReport(None, None, (), "no GPU (test)")


def test_sigkill_during_download_resumes_from_last_byte(lab: SetupLab) -> None:
    big = os.urandom(2_000_000)
    url = lab.server.add_file("/w/big.bin", big)
    lab.server.throttle = (16384, 0.01)  # ~1.6 MB/s: the kill lands mid-file
    loaded = lab.write(
        weights=[{"dest": "checkpoints/big.bin", "url": url, "sha256": sha(big), "size": len(big)}]
    )
    part = lab.settings.weights_dir / "files" / sha(big) / "big.bin.part"

    proc = lab.spawn("setup", "tiny", log=lab.tmp / "first.log")
    wait_for(lambda: part.exists() and part.stat().st_size >= 200_000, timeout=60, what="a partial download")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = part.stat().st_size
    assert 0 < kept < len(big)
    status = solution_status(lab.settings, loaded)
    assert status.state == "partial" and status.step == "weights", status

    lab.server.throttle = None
    seen = len(lab.server.requests)
    events = Collector()
    result = install(lab.settings, loaded, events, gpu=NO_GPU)
    assert result.ok, result.error
    assert result.ran == ("weights", "verify")
    assert {e.step for e in events.of(StepSkipped)} >= {
        "clone",
        "patch-repo",
        "env",
        "requirements",
        "patch-site",
    }
    ranges = [h.get("Range") for m, p, h in lab.server.requests[seen:] if p == "/w/big.bin" and m == "GET"]
    assert ranges == [f"bytes={kept}-"], ranges  # continued from the byte it had, not from zero
    store = part.with_name("big.bin")
    assert store.read_bytes() == big and not part.exists()


def test_sigkill_during_pip_install_resumes_at_that_step(lab: SetupLab) -> None:
    started, go = lab.tmp / "build-started", lab.tmp / "build-go"
    src = write_waiting_sdist(
        lab.tmp / "slowpkg", "slowpkg", "1.0", {"slowpkg/__init__.py": "OK = 1\n"}, started, go
    )
    loaded = lab.write(
        env__pip=[str(lab.wheel), str(src)],
        env__verify_imports=["tinydep", "slowpkg"],
        weights=[],
        patches=[],
    )
    proc = lab.spawn("setup", "tiny", log=lab.tmp / "first.log")
    wait_for(started.exists, timeout=60, what="pip to start building")
    orphan = int(child_path(lab.settings, "tiny").read_text().split()[0])
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert psutil.pid_exists(orphan)  # pip outlives its killed parent...
    assert solution_status(lab.settings, loaded).step == "requirements"

    started.unlink()
    events = Collector()
    box: dict = {}
    worker = threading.Thread(target=lambda: box.update(r=install(lab.settings, loaded, events, gpu=NO_GPU)))
    worker.start()
    wait_for(started.exists, timeout=60, what="the rerun's pip to start")
    # ...until the rerun stops it, before running its own pip into the same env.
    assert not psutil.pid_exists(orphan) or psutil.Process(orphan).status() == psutil.STATUS_ZOMBIE
    go.touch()
    worker.join(timeout=120)
    result = box["r"]
    assert result.ok, result.error
    assert result.ran == ("requirements", "verify")
    assert {e.step for e in events.of(StepSkipped)} >= {"clone", "env"}
    site = next((lab.settings.envs_dir / "tiny").glob("lib/python*/site-packages"))
    assert (site / "slowpkg" / "__init__.py").exists()


def test_killed_env_creation_is_redone(lab: SetupLab, monkeypatch) -> None:
    """A half-made env (conda killed mid-create) is removed and created again, not trusted."""
    loaded = lab.write(weights=[])
    monkeypatch.setenv("FAKE_CONDA_SLEEP", "30")
    proc = lab.spawn("setup", "tiny", log=lab.tmp / "first.log")
    prefix = lab.settings.envs_dir / "tiny"
    wait_for(lambda: "Collecting package metadata" in _log(lab), timeout=60, what="conda create to start")
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "half-written").write_text("x")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    monkeypatch.delenv("FAKE_CONDA_SLEEP")
    result = install(lab.settings, loaded, gpu=NO_GPU)
    assert result.ok, result.error
    assert "env" in result.ran and not (prefix / "half-written").exists()


def _log(lab: SetupLab) -> str:
    logs = sorted((lab.settings.logs_dir / "tiny").glob("*.log"))
    return logs[-1].read_text() if logs else ""
