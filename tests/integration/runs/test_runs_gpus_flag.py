"""`--gpus`: indices this machine does not have are refused before anything runs; indices given where no
GPU is visible at all are used as given, with a warning the user cannot miss."""

from __future__ import annotations

from io import StringIO

import pytest
from rich.console import Console
from runlab import Lab

from thtui.cli import main
from thtui.cli.run_views import LiveState
from thtui.core.config import repo_root
from thtui.core.jobs import JobStarted, RunError, RunStage
from thtui.core.monitor.backends import FakeDevice

PORTRAIT = repo_root() / "assets" / "portrait.jpg"
NO_GPU_WARNING = (
    "--gpus 3 given but no NVIDIA GPU is visible here (NVML: GPU monitoring disabled); "
    "jobs that need a GPU get CUDA_VISIBLE_DEVICES=3 anyway"
)


def test_an_index_out_of_range_is_refused_before_anything_runs(lab: Lab) -> None:
    lab.backend.devices = [FakeDevice(), FakeDevice()]
    with pytest.raises(RunError) as info:
        lab.run(lab.spec(gpus=(0, 3, 5)))
    assert str(info.value) == (
        "cannot start the run:\n  --gpus 0,3,5: no GPU 3,5 here; this machine has 2 GPUs (indices 0-1)"
    )
    assert not list(lab.settings.outputs_dir.glob("2*")), "no run folder for a refused run"
    store = lab.store()
    try:
        assert store.list_runs() == []
    finally:
        store.close()
    lab.backend.devices = [FakeDevice()]
    with pytest.raises(RunError, match=r"--gpus 1: no GPU 1 here; this machine has 1 GPU \(index 0\)$"):
        lab.run(lab.spec(gpus=(1,)))


def test_the_cli_refuses_an_index_out_of_range_too(
    lab: Lab, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THTUI_GPU_BACKEND", "fake")  # one fake GPU for the CLI's own monitor
    argv = ["run", "static", "--image", str(PORTRAIT), "--audio", str(lab.audio), "--gpus", "2"]
    assert main(argv) == 2
    assert "--gpus 2: no GPU 2 here; this machine has 1 GPU (index 0)" in capsys.readouterr().err
    assert main([*argv, "--dry-run"]) == 2
    assert not list(lab.settings.outputs_dir.glob("2*"))


def test_no_visible_gpu_warns_and_uses_the_indices_as_given(lab: Lab) -> None:
    lab.backend.devices = []
    lab.backend.error = "NVML unavailable: NVML Shared Library Not Found"
    result, events = lab.run(lab.spec(gpus=(3,)))
    assert result.status == "done", [j.metrics and j.metrics.failure_message for j in result.jobs]
    (warning,) = [e for e in events.of(RunStage) if e.level == "warning"]
    assert warning.stage == "preflight" and warning.detail == (
        "--gpus 3 given but no NVIDIA GPU is visible here (NVML unavailable: NVML Shared Library Not Found); "
        "jobs that need a GPU get CUDA_VISIBLE_DEVICES=3 anyway"
    )
    assert events.events.index(warning) < events.events.index(events.of(JobStarted)[0])
    assert [e.gpu for e in events.of(JobStarted)] == [3]  # the stand-in needs a GPU: it was given GPU 3


def test_the_cli_prints_the_warning(
    lab: Lab, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THTUI_GPU_BACKEND", "none")
    argv = ["run", "static", "--image", str(PORTRAIT), "--audio", str(lab.audio), "--gpus", "3"]
    assert main(argv) == 0
    assert f"warning: {NO_GPU_WARNING}\n" in capsys.readouterr().out
    assert main([*argv, "--dry-run"]) == 0
    assert f"warning: {NO_GPU_WARNING}\n" in capsys.readouterr().out
    assert main([*argv, "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err == f"warning: {NO_GPU_WARNING}\n" and captured.out.startswith("{")


def test_the_live_view_keeps_the_warning_in_sight() -> None:
    state = LiveState()
    state.on_event(RunStage("r", "preflight", NO_GPU_WARNING, level="warning"))
    state.on_event(RunStage("r", "inputs", "static: prepared"))  # a later stage does not replace it
    out = Console(width=200, file=StringIO(), color_system=None)
    out.print(state.render())
    text = out.file.getvalue()
    assert f"warning: {NO_GPU_WARNING}" in text and "inputs: static: prepared" in text
