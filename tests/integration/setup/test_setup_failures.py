"""Failures the user must understand: a wrong checksum, a failing pip step, a patch whose text is gone,
no conda at all, and a second setup of the same solution."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from setuplab import WEIGHT_DATA, SetupLab, sha, wait_for

from thtui.core.events import Collector
from thtui.core.gpu_info import GpuReport
from thtui.core.install_status import solution_status
from thtui.core.setup import StepFailed, WaitingForLock, install
from thtui.core.setup.record import setup_lock

NO_GPU = GpuReport(None, None, (), "no GPU (test)")


def test_checksum_mismatch_is_never_accepted(lab: SetupLab) -> None:
    url = lab.server.url("/w/model.bin")
    loaded = lab.write(weights=[{"dest": "checkpoints/model.bin", "url": url, "sha256": "0" * 64}])
    result = install(lab.settings, loaded, gpu=NO_GPU)
    assert not result.ok and result.failed_step == "weights"
    assert "sha256 mismatch" in (result.error or "") and "bytes deleted" in (result.error or "")
    store_dir = lab.settings.weights_dir / "files" / ("0" * 64)
    assert not any(store_dir.glob("model.bin*")), list(store_dir.iterdir())  # neither the file nor a .part
    assert not (lab.settings.repos_dir / "tiny" / "checkpoints" / "model.bin").exists()
    status = solution_status(lab.settings, loaded)
    assert (status.state, status.step) == ("broken", "weights")
    assert "sha256 mismatch" in status.detail and status.log == result.log_path
    # a corrected manifest installs (finished steps are not redone)
    fixed = lab.write(
        weights=[{"dest": "checkpoints/model.bin", "url": url, "sha256": sha(WEIGHT_DATA["model"])}]
    )
    again = install(lab.settings, fixed, gpu=NO_GPU)
    assert again.ok and again.ran == ("weights", "verify")


def test_tampered_weight_fails_verify(lab: SetupLab) -> None:
    loaded = lab.write()
    assert install(lab.settings, loaded, gpu=NO_GPU).ok
    store = lab.settings.weights_dir / "files" / sha(WEIGHT_DATA["model"]) / "model.bin"
    data = bytearray(store.read_bytes())
    data[10] ^= 0xFF
    store.write_bytes(bytes(data))  # same size, new mtime: the checksum cache is not trusted
    out = lab.thtui("verify", "tiny")
    assert out.returncode == 1
    assert "✗ tiny verify: weight model.bin: sha256 mismatch" in out.stdout
    assert solution_status(lab.settings, loaded).state == "broken"


def test_failing_pip_step_surfaces_its_first_error_line(lab: SetupLab) -> None:
    loaded = lab.write(env__pip=["nosuchpkg-thtui==1.0"])
    events = Collector()
    result = install(lab.settings, loaded, events, gpu=NO_GPU)
    assert result.failed_step == "requirements"
    assert (result.error or "").startswith(
        "ERROR: Could not find a version that satisfies the requirement nosuchpkg-thtui==1.0"
    ), result.error
    failed = events.of(StepFailed)[0]
    assert failed.log_path == result.log_path and Path(failed.log_path).exists()
    assert "nosuchpkg-thtui" in Path(failed.log_path).read_text()
    rows = {r["name"]: r for r in json.loads(lab.thtui("status", "--json").stdout)}
    assert rows["tiny"]["state"] == "broken" and rows["tiny"]["step"] == "requirements"
    assert rows["tiny"]["detail"] == result.error and rows["tiny"]["log"] == result.log_path
    out = lab.thtui("setup", "tiny")
    assert out.returncode == 1
    assert "✗ tiny requirements: ERROR: Could not find a version" in out.stdout
    assert "log: " in out.stdout and "Traceback" not in out.stdout + out.stderr


def test_patch_whose_text_is_gone_fails_clearly(lab: SetupLab) -> None:
    patch = {
        "id": "gone",
        "path": "src/util.py",
        "find": "np.float(y)",
        "replace": "float(y)",
        "reason": "test",
    }
    loaded = lab.write(patches=[patch])
    result = install(lab.settings, loaded, gpu=NO_GPU)
    assert result.failed_step == "patch-repo"
    assert result.error == "patch gone: text to replace not found in src/util.py: 'np.float(y)'"
    assert "upstream file changed" in result.hint


def test_no_conda_is_one_line_with_the_next_step(lab: SetupLab, monkeypatch) -> None:
    loaded = lab.write()
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("HOME", str(lab.tmp / "fresh-home"))  # no ~/miniforge3 either
    out = lab.thtui("setup", "tiny")
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    assert lines[0].startswith("thtui: no conda, mamba, micromamba or uv found; run `thtui bootstrap`")
    assert solution_status(lab.settings, loaded).state == "not installed"  # nothing was started
    # the core API reports it the same way (as a broken env step), without raising
    result = install(lab.settings, loaded, gpu=NO_GPU)
    assert result.failed_step == "env" and "thtui bootstrap" in (result.error or "")


def test_second_setup_refuses_or_waits(lab: SetupLab) -> None:
    loaded = lab.write(weights=[])
    with setup_lock(lab.settings, "tiny", wait=False):
        busy = install(lab.settings, loaded, gpu=NO_GPU)
        assert not busy.ok and "setup of tiny is already running (pid" in (busy.error or "")
        out = lab.thtui("setup", "tiny")
        assert out.returncode == 1 and "already running" in out.stdout and "--wait" in out.stdout
        assert solution_status(lab.settings, loaded).state == "not installed"
        events = Collector()
        box: dict = {}
        waiter = threading.Thread(
            target=lambda: box.update(r=install(lab.settings, loaded, events, gpu=NO_GPU, wait=True))
        )
        waiter.start()
        wait_for(lambda: events.of(WaitingForLock), what="the second setup to wait")
        time.sleep(0.3)
        assert waiter.is_alive() and "r" not in box
    waiter.join(timeout=120)
    assert box["r"].ok
    assert str(os.getpid()) in events.of(WaitingForLock)[0].holder


def test_not_enough_disk_for_the_weights_fails_before_downloading(lab: SetupLab) -> None:
    huge = {
        "dest": "checkpoints/huge.bin",
        "url": lab.server.url("/w/huge.bin"),
        "sha256": "1" * 64,
        "size": 10**15,
    }
    loaded = lab.write(weights=[huge], patches=[], env__pip=[], env__verify_imports=[])
    result = install(lab.settings, loaded, gpu=NO_GPU)
    assert result.failed_step == "weights" and result.error.startswith("the weights need 1000000.0 GB but ")
    assert not any(p == "/w/huge.bin" for _, p, _ in lab.server.requests)
