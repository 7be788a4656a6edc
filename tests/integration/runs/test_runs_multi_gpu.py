"""Jobs that hold several GPUs together (infer.gpus, torchrun ranks) through the real scheduler, runner and
monitor: the stand-in in mode `ranks` starts one process per GPU it was given, each announcing memory on the
fake backend's GPU that CUDA_VISIBLE_DEVICES names, so the job's VRAM must be the sum over its ranks."""

from __future__ import annotations

import re
import time

import pytest
import yaml
from runlab import STANDIN, Lab
from stand_ins.installed import install_as_setup_leaves

from thtui.core.catalog import Catalog
from thtui.core.jobs import JobFinished, JobStarted, RunError, RunResult, RunSpec, RunStage, start_run
from thtui.core.monitor import FakeDevice

GiB = 1024**3


def _add_ranked(lab: Lab, name: str, gpus: int, vram_gb: float = 1) -> None:
    """A stand-in copy (own clone) whose jobs hold `gpus` GPUs and start one rank per GPU."""
    data = yaml.safe_load((STANDIN / "solution.yaml").read_text(encoding="utf-8"))
    data["name"] = name
    data["infer"]["gpus"] = gpus
    data["infer"]["argv"] += ["--nproc_per_node={gpus}"]
    data["estimates"]["vram_gb"] = vram_gb
    folder = lab.tmp / "solutions" / name
    folder.mkdir()
    (folder / "solution.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    lab.catalog = Catalog.load(lab.tmp / "solutions")
    install_as_setup_leaves(lab.settings, lab.catalog.get(name), STANDIN / "repo")


def _gpus(lab: Lab, n: int, total_gb: float = 80) -> None:
    lab.backend.devices = [FakeDevice(mem_total=int(total_gb * 1000**3), power_w=100.0) for _ in range(n)]


def _run(
    lab: Lab, spec: RunSpec
) -> tuple[RunResult, dict[str, list[float]], dict[str, tuple], list[RunStage]]:
    windows: dict[str, list[float]] = {}
    held: dict[str, tuple] = {}
    stages: list[RunStage] = []

    def sink(e) -> None:
        if isinstance(e, JobStarted):
            windows[e.job_id] = [time.monotonic()]
            held[e.job_id] = e.gpus
        elif isinstance(e, JobFinished):
            windows[e.job_id].append(time.monotonic())
        elif isinstance(e, RunStage):
            stages.append(e)

    result = start_run(lab.settings, lab.catalog, spec, sink, monitor=lab.monitor, store=lab.store(),
                       fingerprint=False)  # fmt: skip
    assert result.status == "done", [
        (j.job.job_id, j.metrics and j.metrics.failure_message) for j in result.jobs
    ]
    return result, windows, held, stages


def _overlap(a: list[float], b: list[float]) -> bool:
    return min(a[1], b[1]) > max(a[0], b[0])


def _job(result: RunResult, solution: str):
    (job,) = [j for j in result.jobs if j.job.solution == solution]
    return job


def test_two_2gpu_jobs_share_4_gpus_and_a_3gpu_job_waits(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDIN_MODE", "ranks")
    monkeypatch.setenv("STANDIN_DELAY", "0.8")
    _gpus(lab, 4)
    for name, n in (("two_a", 2), ("two_b", 2), ("three", 3)):
        _add_ranked(lab, name, n)
    result, windows, held, stages = _run(lab, lab.spec("two_a", "two_b", "three"))

    a, b, c = (_job(result, s).job.job_id for s in ("two_a", "two_b", "three"))
    assert _overlap(windows[a], windows[b]), "two 2-GPU jobs on 4 GPUs run together"
    assert not _overlap(windows[c], windows[a]) and not _overlap(windows[c], windows[b]), "3 GPUs: it waits"
    assert len(held[a]) == len(held[b]) == 2 and not set(held[a]) & set(held[b]), held
    assert len(held[c]) == 3 and len(set(held[c])) == 3
    assert any(s.stage == "gpus" and "three holds 3 GPUs together" in s.detail for s in stages)
    for job_id, solution in ((a, "two_a"), (c, "three")):
        log = (lab.settings.outputs_dir / result.run_id / solution / "log.txt").read_text()
        assert f"CUDA_VISIBLE_DEVICES={','.join(map(str, held[job_id]))}" in log, log
        assert f"on GPUs {','.join(map(str, held[job_id]))}" in log


def test_vram_is_summed_over_the_ranks_on_all_their_gpus(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rank i holds (i+1) x 300 MiB on its own GPU: the job's peak is 300 + 600 = 900 MiB (one rank's
    would be 300 or 600); the device figures are the two GPUs' sums; metrics name both GPUs."""
    monkeypatch.setenv("STANDIN_MODE", "ranks")
    monkeypatch.setenv("STANDIN_VRAM_MB", "300")
    monkeypatch.setenv("STANDIN_DELAY", "1.0")
    _gpus(lab, 3)
    for d in lab.backend.devices:
        d.mem_base = 100 * 1024**2
    _add_ranked(lab, "two_a", 2)
    result, _, held, _ = _run(lab, lab.spec("two_a", gpus=(2, 0)))

    m = _job(result, "two_a").metrics
    assert m.vram_attribution == "process"
    assert m.vram_peak_mb == pytest.approx(900.0), m
    assert "summed over its 2 GPUs" in m.vram_attribution_note
    assert m.extra["gpu_indices"] == list(held[result.jobs[0].job.job_id]) and m.gpu_index in (0, 2)
    assert sorted(m.extra["gpu_indices"]) == [0, 2], "only the GPUs the run may use"
    # Both boards' memory, the base of each included: 2 x 100 + 900 MiB at the peak.
    assert m.vram_peak_device_mb == pytest.approx(1100.0)
    assert m.energy_j is not None and m.energy_j > 0


def test_job_asking_more_gpus_than_the_run_may_use_is_refused_with_the_numbers(lab: Lab) -> None:
    _gpus(lab, 4)
    _add_ranked(lab, "three", 3)
    with pytest.raises(RunError) as err:
        lab.run(lab.spec("three", gpus=(0, 1)))
    text = str(err.value)
    assert "three runs each job on 3 GPUs together (infer.gpus: 3)" in text
    assert "this run may use 2 GPUs (0,1)" in text and "refused before it starts" in text
    assert not any(lab.settings.outputs_dir.glob("2*")), "refused before the run folder exists"


def test_machine_with_too_few_gpus_refuses_it_too(lab: Lab) -> None:
    _gpus(lab, 2)
    _add_ranked(lab, "three", 3)
    with pytest.raises(RunError, match=r"this run may use 2 GPUs \(0,1\)"):
        lab.run(lab.spec("three"))


def test_multi_gpu_job_over_the_nth_largest_board_is_refused(lab: Lab) -> None:
    """60 GB on each of 2 GPUs: an 80 GB and a 24 GB board cannot hold it together."""
    lab.backend.devices = [FakeDevice(mem_total=80 * 1000**3), FakeDevice(mem_total=24 * 1000**3)]
    _add_ranked(lab, "two_a", 2, vram_gb=60)
    with pytest.raises(RunError) as err:
        lab.run(lab.spec("two_a"))
    assert "needs about 60 GB on each of the 2 GPUs it holds together" in str(err.value)
    assert "the 2 largest here are GPU0 80 GB, GPU1 24 GB" in str(err.value)


def test_packed_multi_gpu_job_takes_two_gpus_beside_small_jobs(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--pack: a 2-GPU job of 30 GB per GPU and two 1 GB jobs on two 40 GB boards; the small ones may
    share the big job's GPUs (their estimates fit), and the big one still gets two distinct GPUs."""
    monkeypatch.setenv("STANDIN_MODE", "ranks")
    monkeypatch.setenv("STANDIN_DELAY", "0.8")
    _gpus(lab, 2, total_gb=40)
    _add_ranked(lab, "two_a", 2, vram_gb=30)
    result, windows, held, stages = _run(lab, lab.spec("two_a", "standin", pack=True))
    big, small = _job(result, "two_a"), _job(result, "standin")
    assert sorted(held[big.job.job_id]) == [0, 1]
    assert _overlap(windows[big.job.job_id], windows[small.job.job_id]), "1 GB fits beside 30 GB on 40 GB"
    assert big.metrics.extra["packed"] is True and big.metrics.extra["shared_gpu"] is True
    (packing,) = [s for s in stages if s.stage == "packing"]
    assert "two_a 2×30 GiB" in packing.detail and "standin 1 GiB" in packing.detail


def test_cli_says_which_gpus_a_job_holds(lab: Lab, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    """`thtui run --gpus 0,1` with no GPU visible (the indices are used as given): the 2-GPU job holds both."""
    from thtui.cli import main

    monkeypatch.setenv("STANDIN_MODE", "ranks")
    monkeypatch.setenv("THTUI_GPU_BACKEND", "none")
    _add_ranked(lab, "two_a", 2)
    rc = main(["run", "two_a", "--image", str(lab.image), "--audio", str(lab.audio), "--gpus", "0,1"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert re.search(r"started  \S+/two_a \(pid \d+, GPUs 0,1\)", out), out


def test_live_view_shows_every_gpu_of_a_job() -> None:
    from io import StringIO

    from rich.console import Console

    from thtui.cli.run_views import LiveState
    from thtui.core.jobs import JobInfo, RunStarted

    jobs = (JobInfo("r/two_a", "two_a", 0, "i.png", "a.wav", 1, False, "/o/r/two_a"),
            JobInfo("r/static", "static", 0, "i.png", "a.wav", 1, False, "/o/r/static"))  # fmt: skip
    state = LiveState()
    state.on_event(RunStarted("r", "/o/r", jobs))
    state.on_event(JobStarted("r/two_a", 11, 2, ("torchrun",), "/", "/log", (2, 3)))
    state.on_event(JobStarted("r/static", 12, 0, ("python",), "/", "/log"))
    out = Console(width=120, file=StringIO(), color_system=None)
    out.print(state.render())
    rows = {line.split()[0]: line.split() for line in out.file.getvalue().splitlines() if line.split()}
    assert rows["two_a"][1:3] == ["running", "2,3"] and rows["static"][1:3] == ["running", "0"]
