"""The real runner on the stand-in solution: metrics, logs, files, store, failure classes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from runlab import Lab

from thtui.core.install_status import record_path
from thtui.core.jobs import JobFinished, JobLog, JobProgress, JobStarted, RunFinished, RunStarted
from thtui.core.media import probe, validate_video
from thtui.core.monitor import MonitorSnapshot


def test_ok_job_is_measured_stored_and_folded(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDIN_MODE", "vram")
    monkeypatch.setenv("STANDIN_VRAM_MB", "1500")
    result, events = lab.run()

    assert result.status == "done" and result.ok
    (job,) = result.jobs
    m = job.metrics
    assert job.status == "ok" and m.exit_code == 0 and m.failure_class is None
    job_dir = Path(job.job.job_dir)
    assert job_dir == lab.settings.outputs_dir / result.run_id / "standin"
    assert job.result_path == str(job_dir / "result.mp4")
    assert validate_video(job_dir / "result.mp4", 1.0, 0.3).ok

    # Honest numbers: wall covers the stand-in's 0.3 s of "inference"; RTF is wall / audio.
    assert 0.3 <= m.wall_s < 5
    assert m.audio_s == pytest.approx(1.0, abs=0.01)
    assert m.rtf == pytest.approx(m.wall_s / m.audio_s, rel=1e-3)
    assert m.vram_attribution == "process"
    assert m.vram_peak_mb == pytest.approx(1500, abs=1)  # announced by the job's own pid
    assert m.vram_peak_device_mb == pytest.approx(1500 + 300, abs=1)  # + the fake board's baseline
    assert m.energy_method == "nvml-energy-counter" and m.energy_j > 0
    assert m.gpu_util_mean is not None and m.n_samples >= 3 and m.sample_rate_hz == 20
    assert m.rss_peak_mb > 5 and m.cpu_time_s is not None

    # Files: metrics.json says how each number was measured; samples.csv has the sampled series.
    data = json.loads((job_dir / "metrics.json").read_text())
    assert data["rtf"] == m.rtf and "wall_s / audio_s" in data["definitions"]["rtf"]
    with open(job_dir / "samples.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == m.n_samples and max(float(r["vram_job_mb"]) for r in rows) == pytest.approx(
        1500, abs=1
    )

    # tqdm's \r redraws: one line in log.txt, one updating line in the events.
    log = (job_dir / "log.txt").read_text()
    assert "\r" not in log
    assert log.count("%|") == 1 and "100%|##########| 5/5" in log
    bars = [e for e in events.of(JobLog) if "%|" in e.line]
    assert len(bars) == 6 and not bars[0].replace_last and all(b.replace_last for b in bars[1:])
    assert [round(e.fraction, 1) for e in events.of(JobProgress)] == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]

    # Event order a front end relies on.
    kinds = [type(e) for e in events.events if not isinstance(e, MonitorSnapshot)]
    assert kinds[0] is RunStarted and kinds[-1] is RunFinished
    assert kinds.index(JobStarted) < kinds.index(JobFinished)
    assert events.of(JobStarted)[0].gpu == 0

    # Store + results.jsonl + run.json.
    store = lab.store()
    run = store.get_run(result.run_id)
    assert run.status == "done" and run.counts == {"ok": 1}
    rec = store.get_job(job.job.job_id)
    assert rec.status == "ok" and rec.metrics == m and rec.pid == events.of(JobStarted)[0].pid
    assert len(store.job_samples(rec.id)) == m.n_samples
    assert store.job_metrics(rec.id)["vram_peak_mb"][2] == "process"
    lines = (job_dir.parent / "results.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["metrics"]["vram_peak_mb"] == m.vram_peak_mb
    run_json = json.loads((job_dir.parent / "run.json").read_text())
    assert run_json["status"] == "done" and run_json["jobs"][0]["status"] == "ok"
    assert run_json["inputs"]["audio_seconds"] and run_json["options"]["repeat"] == 1


@pytest.mark.parametrize(
    ("mode", "failure", "evidence"),
    [
        ("crash", "crash", "exit 1"),
        ("oom", "out_of_memory", "CUDA out of memory"),
        ("noface", "face_not_detected", "Face not detected"),
        ("no_output", "no_output", "no output at"),
        ("bad_output", "no_output", "no audio stream"),
    ],
)
def test_failures_are_classified(
    lab: Lab, monkeypatch: pytest.MonkeyPatch, mode: str, failure: str, evidence: str
) -> None:
    monkeypatch.setenv("STANDIN_MODE", mode)
    monkeypatch.setenv("STANDIN_DELAY", "0.05")
    result, events = lab.run()
    (job,) = result.jobs
    assert result.status == "failed" and job.status == "failed"
    assert job.metrics.failure_class == failure
    assert evidence in job.metrics.extra["failure_evidence"] or evidence in (
        job.metrics.extra.get("output_problem") or ""
    )
    assert job.result_path is None and not (Path(job.job.job_dir) / "result.mp4").exists()
    rec = lab.store().get_job(job.job.job_id)
    assert rec.failure_class == failure and rec.log_tail  # the log tail is kept for the UI
    if mode == "noface":  # the manifest's own message wins over the generic one
        assert "message from its manifest" in job.metrics.failure_message
    if mode == "crash":
        assert "standin exploded" in rec.log_tail
    assert events.of(JobFinished)[0].metrics.failure_class == failure


def test_output_is_normalised_to_h264(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDIN_CODEC", "mpeg4")
    result, _ = lab.run()
    (job,) = result.jobs
    assert job.status == "ok", job.metrics
    info = probe(job.result_path)
    assert info.video.codec == "h264" and info.audio.codec == "aac"


def test_container_pids_fall_back_to_device_delta(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDIN_MODE", "vram")
    monkeypatch.setenv("STANDIN_VRAM_MB", "800")
    lab.backend.hide_pids = True  # NVML lists host pids that do not exist in our namespace
    result, _ = lab.run()
    m = result.jobs[0].metrics
    assert m.vram_attribution == "device-delta" and "container" in m.vram_attribution_note
    assert m.vram_peak_mb == pytest.approx(800, abs=1)


def test_refuses_uninstalled_solution_before_anything_runs(lab: Lab) -> None:
    from thtui.core.jobs import RunError

    record_path(lab.settings, "standin").unlink()  # setup never ran
    with pytest.raises(RunError, match="standin is not ready: not installed"):
        lab.run()
    assert not lab.settings.outputs_dir.exists() or not any(lab.settings.outputs_dir.glob("2*"))


def test_refuses_missing_input(lab: Lab) -> None:
    from thtui.core.jobs import RunError

    with pytest.raises(RunError, match="image not found"):
        lab.run(lab.spec(images=(lab.tmp / "nope.png",)))


def test_tts_failure_refuses_the_run_and_says_why(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    from thtui.core.jobs import RunError, media_glue

    def broken(*a, **kw):
        raise RuntimeError("voice model missing")

    monkeypatch.setattr(media_glue, "synthesize", broken)
    with pytest.raises(RunError, match="TTS \\(piper\\) failed: voice model missing"):
        lab.run(lab.spec(text="Hello"))
    (run_json,) = lab.settings.outputs_dir.glob("*/run.json")
    data = json.loads(run_json.read_text())
    assert data["status"] == "refused" and "voice model missing" in data["error"]
    assert not list(run_json.parent.glob("standin"))  # no job ran
