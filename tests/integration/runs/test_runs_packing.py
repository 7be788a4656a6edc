"""`pack`: jobs share a GPU through the real scheduler and runner while their estimates fit, and say so in
their metrics; without it, one job per GPU at a time as always. Two stand-in solutions with clones of
their own (`standin` and `standin_b`, 1 GiB estimated each), so that two GPU jobs may run at once."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from runlab import STANDIN, Lab, marked
from stand_ins.installed import install_as_setup_leaves

from thtui.cli import main
from thtui.core.catalog import Catalog
from thtui.core.jobs import JobFinished, JobStarted, RunResult, RunSpec, RunStage, start_run
from thtui.core.monitor import FakeDevice

GiB = 1024**3


@pytest.fixture
def lab2(lab: Lab) -> Lab:
    """The lab with a second stand-in, installed as setup would leave it (its own clone and env)."""
    solutions = lab.tmp / "solutions"
    text = (STANDIN / "solution.yaml").read_text().replace("name: standin", "name: standin_b", 1)
    (solutions / "standin_b").mkdir()
    (solutions / "standin_b" / "solution.yaml").write_text(text)
    lab.catalog = Catalog.load(solutions)
    install_as_setup_leaves(lab.settings, lab.catalog.get("standin_b"), STANDIN / "repo")
    return lab


def _run(lab: Lab, spec: RunSpec) -> tuple[RunResult, dict[str, list[float]], dict[str, int | None], list]:
    """Run `spec`; each job's [start, end] (monotonic, from its events), its GPU, and the RunStages."""
    windows: dict[str, list[float]] = {}
    gpus: dict[str, int | None] = {}
    stages: list[RunStage] = []

    def sink(e) -> None:
        if isinstance(e, JobStarted):
            windows[e.job_id] = [time.monotonic()]
            gpus[e.job_id] = e.gpu
        elif isinstance(e, JobFinished):
            windows[e.job_id].append(time.monotonic())
        elif isinstance(e, RunStage):
            stages.append(e)

    result = start_run(lab.settings, lab.catalog, spec, sink, monitor=lab.monitor, store=lab.store(),
                       fingerprint=False)  # fmt: skip
    assert result.status == "done", [
        (j.job.job_id, j.metrics and j.metrics.failure_message) for j in result.jobs
    ]
    return result, windows, gpus, stages


def _overlap(a: list[float], b: list[float]) -> bool:
    return min(a[1], b[1]) > max(a[0], b[0])


def _ids(result: RunResult, solution: str) -> list[str]:
    return [j.job.job_id for j in result.jobs if j.job.solution == solution]


def test_packed_jobs_share_one_gpu_and_their_metrics_say_so(
    lab2: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One 24 GiB GPU, packed: the two solutions run side by side on it, while the two repeats of one
    solution still never share their clone. The fake GPU hides pids (a container), so VRAM falls back to
    device deltas, which are meaningless on a shared GPU: they and the device's energy are not reported
    as the job's own."""
    monkeypatch.setenv("STANDIN_DELAY", "0.6")
    monkeypatch.setenv("STANDIN_MODE", "vram")
    monkeypatch.setenv("STANDIN_VRAM_MB", "500")
    lab2.backend.hide_pids = True
    result, windows, gpus, stages = _run(lab2, lab2.spec("standin", "standin_b", repeat=2, pack=True))

    (packing,) = [s for s in stages if s.stage == "packing"]
    assert "GPU0 24 GiB (headroom 2.4 GiB, 21.6 GiB usable)" in packing.detail
    assert "estimates standin 1 GiB, standin_b 1 GiB" in packing.detail
    a, b = _ids(result, "standin"), _ids(result, "standin_b")
    assert all(gpus[j] == 0 for j in a + b)
    assert not _overlap(windows[a[0]], windows[a[1]]), "two stand-in jobs shared the clone"
    assert any(_overlap(windows[x], windows[y]) for x in a for y in b), "no two jobs shared the GPU"

    shared = [j for j in result.jobs if j.metrics.extra.get("shared_gpu")]
    assert len(shared) >= 2
    for j in shared:
        m = j.metrics
        assert m.extra["packed"] is True and m.extra["shared_with"]
        assert m.vram_attribution == "device-delta" and m.vram_peak_mb is None
        assert "shared with other jobs" in m.vram_attribution_note
        assert m.energy_j is None and m.energy_method == "shared-gpu" and m.extra["device_energy_j"] > 0
        on_disk = json.loads((Path(j.job.job_dir) / "metrics.json").read_text())
        assert on_disk["extra"]["shared_gpu"] is True and on_disk["vram_peak_mb"] is None
    run_json = json.loads((Path(result.run_dir) / "run.json").read_text())
    assert run_json["spec"]["pack"] is True and run_json["options"]["pack"] is True


def test_without_pack_one_job_per_gpu_at_a_time(lab2: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDIN_DELAY", "0.4")
    result, windows, gpus, stages = _run(lab2, lab2.spec("standin", "standin_b"))
    (a,), (b,) = _ids(result, "standin"), _ids(result, "standin_b")
    assert gpus[a] == gpus[b] == 0
    assert not _overlap(windows[a], windows[b])
    assert not any(s.stage == "packing" for s in stages)
    assert all("packed" not in j.metrics.extra and "shared_gpu" not in j.metrics.extra for j in result.jobs)


def test_packing_fills_idle_gpus_first_and_keeps_the_headroom(
    lab2: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two 3 GiB GPUs (1 GiB usable each after the 2 GiB headroom): the stand-ins (1 GiB each) take one
    GPU each and never share; the static baseline (no GPU, 0 GiB) joins one of them, and only the
    stand-in's CPU neighbour is recorded, not a shared GPU."""
    monkeypatch.setenv("STANDIN_DELAY", "1.0")
    lab2.backend.devices = [FakeDevice(mem_total=3 * GiB), FakeDevice(mem_total=3 * GiB)]
    result, windows, gpus, _ = _run(lab2, lab2.spec("standin", "standin_b", "static", pack=True))
    (a,), (b,), (s,) = _ids(result, "standin"), _ids(result, "standin_b"), _ids(result, "static")
    assert {gpus[a], gpus[b]} == {0, 1} and gpus[s] is None
    assert _overlap(windows[a], windows[b])
    metrics = {j.job.job_id: j.metrics for j in result.jobs}
    assert not any(m.extra["shared_gpu"] for m in metrics.values())
    assert b not in metrics[a].extra["shared_with"] and a not in metrics[b].extra["shared_with"]
    assert metrics[s].extra["shared_with"] in ([a], [b])  # placed beside the first stand-in, 0 GiB


def test_cancel_ends_every_packed_job_and_starts_no_more(lab2: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDIN_MODE", "hang")
    cancel = threading.Event()
    started: list[str] = []

    def sink(e) -> None:
        if isinstance(e, JobStarted):
            started.append(e.job_id)
            if len(started) == 2:  # both solutions hang side by side on GPU0
                cancel.set()

    spec = lab2.spec("standin", "standin_b", repeat=2, pack=True, grace_s=0.5)
    result = start_run(lab2.settings, lab2.catalog, spec, sink, cancel, monitor=lab2.monitor, store=lab2.store(),
                       fingerprint=False)  # fmt: skip
    assert result.status == "interrupted"
    statuses = {j.job.job_id: j.status for j in result.jobs}
    assert sorted(statuses.values()) == ["cancelled", "cancelled", "pending", "pending"]
    assert {k for k, v in statuses.items() if v == "cancelled"} == set(started)
    assert marked(result.run_id) == []


def test_cli_pack_dry_run_and_run(
    lab: Lab, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THTUI_GPU_BACKEND", "fake")  # one 24 GiB fake GPU for the CLI's own monitor
    base = ["run", "static", "--image", str(lab.image), "--audio", str(lab.audio), "--repeat", "2", "--pack"]
    assert main([*base, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "packing by VRAM estimate: GPU0 24 GiB (headroom 2.4 GiB, 21.6 GiB usable)" in out
    assert "estimates static 0 GiB" in out

    assert main(base) == 0
    out = capsys.readouterr().out
    assert "packing: packing by VRAM estimate" in out
    (run_dir,) = lab.settings.outputs_dir.glob("2*")
    assert json.loads((run_dir / "run.json").read_text())["spec"]["pack"] is True
    for job in ("r1", "r2"):
        extra = json.loads((run_dir / "static" / job / "metrics.json").read_text())["extra"]
        assert extra["packed"] is True and extra["shared_gpu"] is False  # static never touches the GPU


def test_pack_help_states_the_caveat(capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--pack" in text and "contend" in text and "energy per job cannot be separated" in text


@pytest.mark.gpu
def test_packed_jobs_on_a_real_gpu_each_report_their_own_vram(
    lab2: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a real NVIDIA GPU: two packed jobs allocate SIZE MiB each at the same time on GPU 0. Per-process
    NVML attribution must give each job its own peak (within 5%), not the device's sum of both."""
    from real_gpu import require_real_gpu

    from thtui.core.monitor import Monitor

    size = 16384  # large enough that each job's CUDA context (~0.6 GiB, also its memory) stays under 5%
    backend = require_real_gpu(2 * size * 1.2)
    lab2.monitor.stop()
    lab2.monitor = Monitor(backend, rate_hz=10).start()
    monkeypatch.setenv("STANDIN_MODE", "torch_vram")
    monkeypatch.setenv("STANDIN_TORCH_VRAM_MB", str(size))
    monkeypatch.setenv("STANDIN_DELAY", "4")
    try:
        result, windows, _gpus, _ = _run(lab2, lab2.spec("standin", "standin_b", gpus=(0,), pack=True))
    finally:
        lab2.monitor.stop()
        backend.close()
    (a,), (b,) = _ids(result, "standin"), _ids(result, "standin_b")
    assert _overlap(windows[a], windows[b]), "the two jobs did not run side by side"
    for j in result.jobs:
        m = j.metrics
        assert m.vram_attribution == "process" and m.extra["shared_gpu"] is True
        assert abs(m.vram_peak_mb - size) / size <= 0.05, (j.job.job_id, m.vram_peak_mb)
        assert m.vram_peak_device_mb >= 2 * size * 0.95  # the device saw both at once
