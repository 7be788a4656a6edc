"""On a real NVIDIA GPU: the Monitor screen, fed by real NVML, names the job and solution that own a GPU
process and shows its memory. A stand-in job allocates a known amount with torch. Skipped without NVML,
a GPU or CUDA torch (CI never has one; the note of the TUI issue gives the H100 output)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from real_gpu import require_real_gpu
from tuilab import TuiLab, screen_text, wait_for

from thtui.core.config import repo_root
from thtui.core.jobs import RunSpec
from thtui.core.monitor import MiB, open_backend
from thtui.tui.screens.monitor import MonitorScreen

pytestmark = pytest.mark.gpu

SIZE_MIB = 8192


@pytest.fixture
def nvml_factory():
    require_real_gpu(SIZE_MIB * 1.5).close()
    return lambda: open_backend()


async def test_monitor_names_the_job_that_owns_gpu_memory(
    lab: TuiLab, nvml_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    lab.install("standin")
    monkeypatch.setenv("STANDIN_MODE", "torch_vram")
    monkeypatch.setenv("STANDIN_TORCH_VRAM_MB", str(SIZE_MIB))
    monkeypatch.setenv("STANDIN_DELAY", "6")
    app = lab.app(gpu_backend_factory=nvml_factory, clock=time.time, monitor_hz=4.0)
    root = repo_root() / "assets"
    async with app.run_test(size=(160, 48)) as pilot:
        key = app.start_run(
            RunSpec(
                solutions=("standin",),
                images=(root / "portrait.jpg",),
                audios=(root / "speech.wav",),
                gpus=(0,),
            )
        )
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), 5)

        def owned():
            return [
                r
                for r in app.latest_processes
                if r.solution == "standin" and (r.used_bytes or 0) >= SIZE_MIB * MiB * 0.95
            ]

        await wait_for(pilot, owned, 60, "a GPU process owned by the standin job")
        row = owned()[0]
        job_id = app.runs.runs[key].job_ids[0]
        assert row.job_id == job_id, (row, job_id)
        await pilot.pause(1.0)  # the panels repaint at 2 Hz
        text = screen_text(app)
        assert "standin" in text and job_id.split("/", 1)[1] in text, text
        out = os.environ.get("THTUI_GPU_SCREEN_OUT")
        if out:  # the device run brings the screen back for the note
            Path(out).write_text(text)
        await wait_for(pilot, lambda: not app.runs.runs[key].active, 90, "run finished")
        run = app.runs.runs[key]
        assert run.status == "done", run.error
