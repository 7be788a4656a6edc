"""Paper-standard scores of a run's videos, computed by the evaluator env after the run's jobs.

When the evaluator is installed (`thtui setup evaluator`), the run's RunScorer hands every video it
scored to a PaperQueue; the queue runs the evaluator over them once the run's inference jobs are done,
so it never holds up the next inference job. It uses a GPU when one has room (>= 4 GB free, the one with
the most), else the CPU. A stopped run skips them (`thtui score --paper RUN` computes them later).
THTUI_NO_PAPER=1 turns the automatic pass off.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thtui.core.config import Settings
from thtui.core.events import Event, EventSink, discard
from thtui.core.scores.paper_run import PAPER_KEYS, PAPER_METRICS, paper_argv, run_paper
from thtui.core.scores.paper_target import EvaluatorEnv, evaluator_env

NO_PAPER_ENV = "THTUI_NO_PAPER"
GPU_FREE_MB = 4096


@dataclass(frozen=True)
class PaperScored(Event):
    """A job's paper scores were computed ("ok") or not ("missing": `reason`)."""

    job_id: str
    status: str
    values: dict[str, Any]
    reason: str | None = None


@dataclass(frozen=True)
class PaperInput:
    job_id: str
    run_id: str
    job_dir: str
    video: str
    portrait: str | None
    audio: str | None
    reference: str | None = None
    offline_lmd: float | None = None  # the dlib pass's mouth-landmark distance, when it had a reference


def pick_device() -> tuple[str, dict[str, str]]:
    """('cuda', {CUDA_VISIBLE_DEVICES: i}) for the GPU with the most free memory when it has room,
    else ('cpu', {})."""
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            free = []
            for i in range(pynvml.nvmlDeviceGetCount()):
                mem = pynvml.nvmlDeviceGetMemoryInfo(pynvml.nvmlDeviceGetHandleByIndex(i))
                free.append((mem.free // 2**20, i))
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # no NVML, no driver: the CPU
        return "cpu", {}
    best = max(free, default=(0, -1))
    if best[0] < GPU_FREE_MB:
        return "cpu", {}
    return "cuda", {"CUDA_VISIBLE_DEVICES": str(best[1])}


def _absent(item: PaperInput, reason: str) -> dict[str, Any]:
    return {k: None for k in PAPER_KEYS} | {
        "missing": {k: reason for k in PAPER_KEYS},
        **_describe(item),
    }


def _describe(item: PaperInput) -> dict[str, Any]:
    return {
        "video": item.video,
        "portrait": item.portrait,
        "audio": item.audio,
        "reference": item.reference,
        "directions": {k: m.direction for k, m in PAPER_METRICS.items()},
        "methods": {k: m.method for k, m in PAPER_METRICS.items()},
    }


def score_paper(
    env: EvaluatorEnv,
    item: PaperInput,
    *,
    device: str | None = None,
    timeout: float = 1800,
    whole_frame: bool = False,
    cancel: threading.Event | None = None,
) -> tuple[str, dict[str, Any], str | None]:
    """(status, data, reason) for one video; never raises. `whole_frame`: the video is already the face
    crop (demo_syncnet.py's example.avi), no face detection."""
    from thtui.core import tools

    if device is None:
        device, extra = pick_device()
    else:
        extra = {}
    ff = tools.ffmpeg()
    ffmpeg = str(ff.path) if ff.found else "none"
    from thtui.core.scores.paper_set import features_path

    # only a run's job dir ("" for `thtui score --paper --video`: never the current directory)
    in_run = bool(item.reference and item.job_dir and Path(item.job_dir).is_dir())
    features = features_path(item.job_dir) if in_run else None
    argv = paper_argv(env.python, item.video, env.weights, portrait=item.portrait, audio=item.audio,
                      reference=item.reference, device=device, ffmpeg=ffmpeg, whole_frame=whole_frame,
                      features_out=features, i3d_pin=getattr(env, "i3d_pin", None))  # fmt: skip
    run = run_paper(argv, timeout=timeout, env={**os.environ, **extra}, cancel=cancel)
    if not run.ok:
        reason = f"evaluator: {run.error}"
        return "missing", {**_absent(item, reason), "evaluator": {"exit_code": run.exit_code}}, reason
    data = dict(run.data)
    missing = dict(data.pop("missing", {}) or {})
    values = {k: data.pop(k, None) for k in PAPER_KEYS}
    if item.reference and item.offline_lmd is not None:
        values["lmd"] = item.offline_lmd
        missing.pop("lmd", None)
    elif item.reference:
        missing["lmd"] = "thtui's offline pass found no landmarks to compare (see its own lmd)"
    out = {**values, "missing": missing, **_describe(item), "evaluator": data}
    status = "ok" if any(v is not None for v in values.values()) else "missing"
    return (
        status,
        out,
        None
        if status == "ok"
        else "no paper score could be computed: " + "; ".join(sorted(set(missing.values())))[:300],
    )


def enabled(settings: Settings) -> EvaluatorEnv | None:
    """The evaluator env when the automatic pass should run after a run's jobs."""
    if os.environ.get(NO_PAPER_ENV, "") in ("1", "true", "yes"):
        return None
    env = evaluator_env(settings)
    return env if env.ready else None


class PaperQueue:
    """Collects a run's scored videos; `run` computes their paper scores one after another."""

    def __init__(self, env: EvaluatorEnv, cancel: threading.Event | None = None) -> None:
        self.env = env
        self.cancel = cancel  # the run's: a stopped run stops the evaluator and leaves the rest unscored
        self.items: list[PaperInput] = []

    def add(self, task: Any, offline: dict[str, Any] | None = None) -> None:
        """`task`: a thtui.core.scores.pipeline.ScoreTask (its `reference`, when it has one, is used)."""
        offline = offline or {}
        self.items.append(
            PaperInput(
                task.job_id,
                task.run_id,
                task.job_dir,
                task.video,
                task.portrait,
                task.audio,
                getattr(task, "reference", None),
                offline.get("lmd"),
            )  # fmt: skip
        )

    def run(self, store: Any, files: Any | None, sink: EventSink = discard) -> dict[str, str]:
        from thtui.core.scores.paper_store import store_paper

        done: dict[str, str] = {}
        device, extra = pick_device()
        for item in self.items:
            if self.cancel is not None and self.cancel.is_set():
                break  # not stored: `thtui score --paper RUN` computes them later
            status, data, reason = score_paper(self.env, item, device=device, cancel=self.cancel)
            try:
                store_paper(item.job_id, item.run_id, item.job_dir, status, data, store, files)
            except Exception as exc:  # a full disk must not leave the run hanging
                status, reason = "missing", f"could not store the paper scores: {exc}"
            done[item.job_id] = status
            sink(PaperScored(item.job_id, status, {k: data.get(k) for k in PAPER_KEYS}, reason))
        self._set_level(store, done)
        self.items.clear()
        return done

    def _set_level(self, store: Any, done: dict[str, str]) -> None:
        """FID and FVD pooled over each system's cases (thtui.core.scores.paper_set), after every job is scored."""
        from thtui.core.scores.paper_set import compute_set_scores

        scored = [i for i in self.items if i.reference and done.get(i.job_id) == "ok"]
        if not scored or store is None or (self.cancel is not None and self.cancel.is_set()):
            return
        groups: dict[str, list[str]] = {}
        try:
            for i in scored:
                job = store.get_job(i.job_id)
                groups.setdefault(job.solution if job else i.job_id.split("/")[1], []).append(i.job_dir)
            run = store.get_run(scored[0].run_id)
            if run is None:
                return
            run_dir = Path(run.run_dir)
            compute_set_scores(self.env, run_dir, groups, self.cancel)
        except Exception:  # the per-job values stand; the table then shows their mean
            pass


def paper_queue(settings: Settings, cancel: threading.Event | None = None) -> PaperQueue | None:
    env = enabled(settings)
    return PaperQueue(env, cancel) if env is not None else None


def rescore_run_paper(settings: Settings, run_id: str, sink: EventSink = discard) -> dict[str, str]:
    """`thtui score --paper RUN`: paper scores of every successful job of a run (job id -> status)."""
    from thtui.core.jobs.records import RunFiles
    from thtui.core.scores.pipeline import task_for
    from thtui.core.scores.stored import job_scores
    from thtui.core.store import Store

    env = evaluator_env(settings)
    store = Store(settings.db_path)
    try:
        run = store.get_run(run_id)
        files = RunFiles.load(Path(run.run_dir) if run else settings.outputs_dir / run_id)
        queue = PaperQueue(env)
        for j in store.list_jobs(run_id):
            video = Path(j.job_dir) / "result.mp4"
            if j.status == "ok" and not j.warmup and video.is_file():
                task = task_for(run_id, j.id, j.job_dir, str(video), j.image, j.audio)
                offline = job_scores(store, j.id, j.job_dir) or {}
                queue.add(task, offline)
                ref = offline.get("reference")
                if ref and queue.items[-1].reference is None:  # the offline pass knew the ground truth
                    queue.items[-1] = PaperInput(**{**queue.items[-1].__dict__, "reference": ref})
        return queue.run(store, files, sink)
    finally:
        store.close()
