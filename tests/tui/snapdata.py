"""Fixed data for the snapshot tests: monitor readings, a half-finished install, runs in the store.
Everything that could vary between machines or runs (clock, ids, paths, host load) is pinned here."""

from __future__ import annotations

import math
from pathlib import Path

from thtui.core.jobs.events import JobInfo, JobProgress, JobQueued, JobStarted, RunStarted
from thtui.core.metrics import JobMetrics
from thtui.core.monitor import GpuReading, HostReading, JobSample, MonitorSnapshot
from thtui.core.setup.events import SetupStarted, StepFinished, StepProgress, StepSkipped, StepStarted
from thtui.core.store import JobRow, Store
from thtui.tui.messages import InstallEvent, MonitorSampled, RunEvent
from thtui.tui.services import GpuProcessRow
from thtui.tui.state import InstallProgress

GiB = 1024**3
T0 = 1_750_000_000.0
RUN_ID = "20250615-120000-beef"


def snapshots(n_gpus: int, count: int = 90) -> list[MonitorSnapshot]:
    """`count` readings: GPU 0 busy in waves, GPU 1 idle; the host steady."""
    out = []
    for i in range(count):
        gpus = []
        for g in range(n_gpus):
            busy = g == 0
            util = 50 + 45 * math.sin(i / 6) if busy else 0.0
            used = (6 + 4 * math.sin(i / 9)) * GiB if busy else 0.4 * GiB
            gpus.append(GpuReading(g, "NVIDIA H100 80GB HBM3", round(util), int(used), 80 * GiB,
                                   64.0 if busy else 31.0, 310.0 if busy else 71.0, None))  # fmt: skip
        host = HostReading(
            cpu_pct=20 + 10 * math.sin(i / 5), cpu_count=16, ram_used=int(42 * GiB), ram_total=128 * GiB
        )
        out.append(MonitorSnapshot(t=float(i), gpus=tuple(gpus), host=host, jobs=(),
                                   gpu_error=None if n_gpus else "NVML unavailable: no NVIDIA driver"))  # fmt: skip
    return out


def feed_monitor(app, n_gpus: int, with_jobs: bool) -> None:
    procs: tuple = ()
    if with_jobs:
        procs = (
            GpuProcessRow(
                41230, 0, int(5.8 * GiB), f"{RUN_ID}/sadtalker", "sadtalker", "python inference.py"
            ),
            GpuProcessRow(40007, 0, 512 * 1024**2, None, None, "/usr/bin/python3 notebook.py"),
        )
    *history, last = snapshots(n_gpus)
    for snap in history:  # as if sampled over the last minute (posting them all would coalesce them)
        app.history.add(snap)
    app.post_message(MonitorSampled(last, procs if n_gpus else ()))


def feed_run(app) -> None:
    """A run with one job done, one running (with output) and one queued, as the runner reports it."""
    key = "run-1"
    app.runs.new_run(key)
    app.runs.runs[key].cancel.clear()
    jobs = [JobInfo(f"{RUN_ID}/{s}", s, 0, "portrait.jpg", "speech.wav", 1, False, f"/out/{RUN_ID}/{s}")
            for s in ("static", "sadtalker", "wav2lip")]  # fmt: skip
    app._run_counter = 1
    events = [RunStarted(RUN_ID, f"/out/{RUN_ID}", tuple(jobs), at=T0)]
    events += [JobQueued(j, at=T0) for j in jobs]
    events += [
        JobStarted(jobs[0].job_id, 40001, None, ("python",), "/", "/log", at=T0),
        JobStarted(jobs[1].job_id, 41230, 0, ("python",), "/", "/log", at=T0 + 2),
        JobProgress(jobs[1].job_id, 0.42, "42%", at=T0 + 30),
    ]
    for e in events:
        app.post_message(RunEvent(key, e))
    from thtui.core.jobs.events import JobFinished

    app.post_message(
        RunEvent(
            key, JobFinished(jobs[0].job_id, "ok", metrics("ok", 1.2, None), jobs[0].job_dir, at=T0 + 1.5)
        )
    )
    buffer = app.logs.buffer(f"job:{jobs[1].job_id}")
    buffer.extend([f"[thtui] job {jobs[1].job_id} on GPU 0", "using safetensor as default",
                   "3DMM Extraction for source image: 100%|##########| 1/1", "Face Renderer:  42%|####      | 21/50"])  # fmt: skip


def feed_install(app) -> None:
    """sadtalker half-way through its setup, with log lines."""
    name = "sadtalker"
    app.installs[name] = InstallProgress(name, "install")
    steps = ("clone", "patch-repo", "env", "torch", "requirements", "patch-site", "weights", "verify")
    events = [
        SetupStarted(name, steps, "/logs/sadtalker/x.log", at=T0),
        StepStarted(name, "clone", 1, 8, "clone github.com/OpenTalker/SadTalker @ cd4c0465", at=T0),
        StepFinished(name, "clone", 3.1, at=T0),
        StepSkipped(name, "patch-repo", "up to date", at=T0),
        StepStarted(name, "env", 3, 8, "create env (python 3.10)", at=T0),
        StepFinished(name, "env", 40.0, at=T0),
        StepStarted(name, "torch", 4, 8, "torch 2.1.2+cu121", at=T0),
        StepProgress(
            name,
            "torch",
            "torch-2.1.2+cu121-cp310-linux_x86_64.whl",
            1_100_000_000,
            2_200_000_000,
            5e7,
            22.0,
            at=T0,
        ),
    ]
    for e in events:
        app.post_message(InstallEvent(name, e))
    buffer = app.logs.reset(f"install:{name}")
    lines = ["== [1/8] clone github.com/OpenTalker/SadTalker @ cd4c0465", "Cloning into 'SadTalker'...",
             "== [3/8] create env (python 3.10)", "Collecting package metadata (repodata.json): done",
             "== [4/8] torch 2.1.2+cu121", "Downloading torch-2.1.2+cu121-cp310-linux_x86_64.whl (2.2 GB)"]  # fmt: skip
    buffer.extend(lines)  # LogLine events go to the buffer, never through the message queue (workers.py)


def metrics(
    status: str, wall: float | None, vram: float | None, failure: tuple[str, str] | None = None
) -> JobMetrics:
    return JobMetrics(
        status=status, exit_code=0 if status == "ok" else 1,
        failure_class=failure[0] if failure else None, failure_message=failure[1] if failure else None,
        wall_s=wall, audio_s=5.9, rtf=(wall / 5.9) if wall else None,
        vram_peak_mb=vram, vram_mean_mb=(vram * 0.8) if vram else None,
        vram_peak_device_mb=(vram + 400) if vram else None, vram_mean_device_mb=None,
        vram_attribution="process" if vram else "none", vram_attribution_note="",
        gpu_index=0 if vram else None, gpu_util_mean=71.0 if vram else None,
        energy_j=1800.0 if vram else None, energy_method="nvml-energy-counter" if vram else "unavailable",
        rss_peak_mb=2100.0, cpu_time_s=wall, sample_rate_hz=4.0, n_samples=40,
    )  # fmt: skip


def fill_store(settings, frame_video: Path | None = None) -> str:
    """Two runs: a newer one with three systems, an older one with the baseline. Returns the id of a job
    that has a VRAM history and (when `frame_video` is given) a result video."""
    store = Store(settings.db_path)
    spec = {"solutions": ["sadtalker", "wav2lip", "static"], "images": ["portrait.jpg"], "audios": [],
            "text": "Hello there", "tts": "piper", "repeat": 1}  # fmt: skip
    run_dir = settings.outputs_dir / RUN_ID
    rows = [JobRow(f"{RUN_ID}/{s}", i, s, 0, "portrait.jpg", "speech.wav", 1, False, str(run_dir / s))
            for i, s in enumerate(("sadtalker", "wav2lip", "static"))]  # fmt: skip
    store.create_run(RUN_ID, spec, run_dir, rows)
    results = {
        "sadtalker": metrics("ok", 41.7, 5800.0),
        "wav2lip": metrics("failed", 3.2, 900.0, ("face_not_detected", "no face found in the image")),
        "static": metrics("ok", 1.1, None),
    }
    for row in rows:
        store.job_started(row.id, pid=1000 + row.seq, pid_create_time=None, gpu=0)
        m = results[row.solution]
        samples = []
        if m.vram_peak_mb:
            samples = [JobSample(t=i * 0.25, gpu_util_pct=70.0, vram_job_mb=min(m.vram_peak_mb, 300.0 * i),
                                 vram_device_mb=None, power_w=300.0, rss_mb=2000.0, cpu_pct=100.0, n_procs=2)
                       for i in range(40)]  # fmt: skip
        store.job_finished(row.id, m, samples, log_tail=f"[thtui] job {row.id}\n{row.solution}: done\n")
        Path(row.job_dir).mkdir(parents=True, exist_ok=True)
    store.set_run_status(RUN_ID, "failed")
    old = "20250614-090000-cafe"
    old_dir = settings.outputs_dir / old
    store.create_run(old, {"solutions": ["static"], "images": ["a.png"], "audios": ["b.wav"]}, old_dir,
                     [JobRow(f"{old}/static", 0, "static", 0, "a.png", "b.wav", 1, False, str(old_dir / "static"))])  # fmt: skip
    store.job_started(f"{old}/static", pid=999, pid_create_time=None, gpu=None)
    store.job_finished(f"{old}/static", metrics("ok", 0.9, None))
    store.set_run_status(old, "done")
    # Newest first in the list: give the runs their own creation times (not "now").
    with store._lock:
        store._db.execute(
            "UPDATE runs SET created_at=?, updated_at=?, finished_at=? WHERE id=?", (T0, T0, T0, RUN_ID)
        )
        store._db.execute(
            "UPDATE runs SET created_at=?, updated_at=?, finished_at=? WHERE id=?", (T0 - 86400,) * 3 + (old,)
        )
    store.close()
    if frame_video is not None:
        import shutil

        shutil.copyfile(frame_video, run_dir / "sadtalker" / "result.mp4")
    return f"{RUN_ID}/sadtalker"


def make_frame_video(dest: Path) -> Path:
    """A 1 s video of four flat colour blocks: flat colours survive encoding, so the preview is stable."""
    from PIL import Image

    from thtui.core.media import still_to_video

    img = Image.new("RGB", (96, 64), (200, 40, 40))
    for box, colour in (
        ((48, 0, 96, 32), (40, 160, 60)),
        ((0, 32, 48, 64), (40, 60, 200)),
        ((48, 32, 96, 64), (230, 200, 40)),
    ):
        img.paste(colour, box)
    still = dest.with_suffix(".png")
    img.save(still)
    return still_to_video(still, dest, 1.0, fps=5)
