"""A full install of a stand-in solution through the real step engine: fake conda, a local git upstream,
a local wheel, weights from a local HTTP server, a Hub-compatible endpoint and a Drive look-alike."""

from __future__ import annotations

import json
import os
from pathlib import Path

from setuplab import WEIGHT_DATA, SetupLab

from thtui.core.events import Collector
from thtui.core.gpu_info import GpuReport
from thtui.core.install_status import solution_status
from thtui.core.plan import env_prefix, repo_dir
from thtui.core.setup import (
    STEPS,
    LogLine,
    SetupFinished,
    SetupStarted,
    StepFinished,
    StepProgress,
    StepSkipped,
    StepStarted,
    install,
    verify,
)

NO_GPU = GpuReport(None, None, (), "NVML unavailable (test)")


def test_full_install_then_noop_rerun(lab: SetupLab) -> None:
    loaded = lab.write()
    events = Collector()
    result = install(lab.settings, loaded, events, gpu=NO_GPU)
    assert result.ok, (result.error, Path(result.log_path or "").read_text()[-3000:])
    assert result.status.state == "ready"
    assert events.of(SetupStarted)[0].steps == STEPS
    started = [e.step for e in events.of(StepStarted)]
    assert started == ["clone", "patch-repo", "env", "requirements", "patch-site", "weights", "verify"]
    assert [e.step for e in events.of(StepSkipped)] == ["torch"]  # the manifest pins no torch
    assert events.of(SetupFinished)[-1].ok

    repo = repo_dir(lab.settings, "tiny")
    prefix = env_prefix(lab.settings, "tiny")
    # clone at the pinned commit, shallow
    assert (repo / "inference.py").exists()
    assert (repo / ".git" / "shallow").exists()
    # repo patch and site-packages patch applied
    assert "int(2.5)" in (repo / "src" / "util.py").read_text()
    site = next(prefix.glob("lib/python*/site-packages"))
    assert "BROKEN = False" in (site / "tinydep" / "__init__.py").read_text()
    # env made by (fake) conda with conda-forge only
    history = (prefix / "conda-meta" / "history").read_text()
    assert "python=3.11" in history and "ffmpeg" in history
    # weights: in the shared store, linked into the clone, right bytes
    for dest, key in (("model.bin", "model"), ("hub.bin", "hub"), ("drive.bin", "drive")):
        link = repo / "checkpoints" / dest
        assert link.is_symlink() and Path(os.readlink(link)).is_relative_to(lab.settings.weights_dir)
        assert link.read_bytes() == WEIGHT_DATA[key]
    assert (repo / "checkpoints" / "extra" / "cfg" / "config.json").read_text() == '{"dim": 8}\n'
    # progress events carry bytes, speed and ETA
    prog = [e for e in events.of(StepProgress) if e.item == "checkpoints/model.bin"]
    assert prog and prog[-1].done == prog[-1].total == len(WEIGHT_DATA["model"])
    # the log has the child processes' output, and the events carried it too
    log = Path(result.log_path or "").read_text()
    assert "Executing transaction: done" in log  # conda's output
    assert "Successfully installed tinydep-1.0" in log
    assert any("Successfully installed tinydep" in e.text for e in events.of(LogLine))
    assert Path(result.log_path or "").parent == lab.settings.logs_dir / "tiny"

    # Second run: nothing to do, every step up to date, no network.
    before = len(lab.server.requests)
    again = Collector()
    second = install(lab.settings, loaded, again, gpu=NO_GPU)
    assert second.ok and second.ran == ()
    assert {e.reason for e in again.of(StepSkipped)} >= {"up to date"}
    assert len(lab.server.requests) == before
    assert solution_status(lab.settings, loaded).state == "ready"

    # verify reruns verify only
    checked = Collector()
    v = verify(lab.settings, loaded, checked, gpu=NO_GPU, rehash=True)
    assert v.ok and v.ran == ("verify",)
    assert "4 weights verified" in checked.of(StepFinished)[-1].detail


def test_status_and_list_cli(lab: SetupLab) -> None:
    loaded = lab.write()
    out = lab.thtui("status", "--json")
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    assert rows["tiny"]["state"] == "not installed" and rows["coqui-tts"]["state"] == "not installed"
    assert install(lab.settings, loaded, gpu=NO_GPU).ok
    rows = {r["name"]: r for r in json.loads(lab.thtui("status", "--json").stdout)}
    assert rows["tiny"]["state"] == "ready"


def test_cli_setup_renders_steps_and_exit_code(lab: SetupLab) -> None:
    lab.write()
    out = lab.thtui("setup", "tiny")
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    for step in ("clone", "patch-repo", "env", "requirements", "patch-site", "weights", "verify"):
        assert f"✓ tiny {step}" in text
    assert "tiny is ready" in text
    assert "full log:" in text and str(lab.settings.logs_dir) in text
    again = lab.thtui("setup", "tiny")
    assert again.returncode == 0 and "tiny clone: up to date" in again.stdout
