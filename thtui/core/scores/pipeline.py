"""Scores for a run's jobs: each finished video is scored on the CPU while the GPU runs the next job.

The run scheduler hands every successful job to a `RunScorer` (one background thread: scoring is CPU work
and must never hold a GPU slot); the run finishes only after `close()` has waited for the pending ones, or,
when the run is stopped, stored the rest as missing with the reason. `rescore_run` does the same for a
finished run (`thtui score RUN`).

Each score lands in three places, so any reader finds it:
- `<job dir>/scores.json`: VideoScores.to_json() with per-frame series (the TUI's plots read them);
- `<job dir>/metrics.json` gains "scores": the values, what is missing and why (no series);
- `results.jsonl` gains a line for the job: its latest record plus "scores" (the last line wins);
- the store's `scores` table (job id -> status + the JSON of scores.json).
The loudness comes from the job's prepared input audio (what the system was driven by) and identity is
measured against the job's prepared portrait (what the system saw).
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thtui.core.events import Event, EventSink, discard

SCORES_JSON = "scores.json"
# THTUI_NO_SCORE=1 turns scoring off for every run (a CI suite running hundreds of jobs; --no-score per run).
NO_SCORE_ENV = "THTUI_NO_SCORE"


def scoring_enabled(wanted: bool) -> bool:
    return wanted and os.environ.get(NO_SCORE_ENV, "") not in ("1", "true", "yes")


@dataclass(frozen=True)
class ScoreTask:
    job_id: str
    run_id: str
    job_dir: str
    video: str
    portrait: str
    audio: str | None
    reference: str | None = None  # the ground-truth video (thtui run --reference): PSNR, SSIM, LMD against it


@dataclass(frozen=True)
class JobScored(Event):
    """A job's video was scored ("ok"), or could not be ("missing": `reason` says why)."""

    job_id: str
    status: str  # "ok" | "missing"
    values: dict[str, Any]  # metric -> value (None when absent)
    reason: str | None = None
    missing: dict[str, str] | None = None  # metric -> why it is absent (what the one-line summary says)


def job_inputs(job_dir: Path | str, image: str, audio: str) -> tuple[str, str]:
    """The prepared portrait and audio of a job (what the system got), else the user's originals."""
    inputs = Path(job_dir) / "inputs"
    portrait = next((str(p) for p in sorted(inputs.glob("image.*")) if p.is_file()), image)
    wav = next((str(p) for p in sorted(inputs.glob("audio.*")) if p.is_file()), audio)
    return portrait, wav


def task_for(run_id: str, job_id: str, job_dir: str, video: str, image: str, audio: str,
             reference: str | None = None) -> ScoreTask:  # fmt: skip
    portrait, wav = job_inputs(job_dir, image, audio)
    return ScoreTask(job_id, run_id, job_dir, video, portrait, wav, reference)


def summary(data: dict[str, Any]) -> dict[str, Any]:
    """What metrics.json and results.jsonl carry: values, missing reasons, messages (no series)."""
    from thtui.core.scores import METRICS

    return {
        "values": {k: data.get(k) for k in METRICS},
        "missing": data.get("missing") or {},
        "messages": data.get("messages") or [],
        "sampling": data.get("sampling") or {},
        "lipsync_sign_convention": data.get("lipsync_sign_convention"),
    }


def _missing_data(task: ScoreTask, reason: str) -> dict[str, Any]:
    from thtui.core.scores import METRICS

    return {
        "video": task.video,
        "portrait": task.portrait,
        "audio": task.audio,
        **{k: None for k in METRICS},
        "missing": {k: reason for k in METRICS},
        "messages": [reason],
    }


def score_task(task: ScoreTask) -> tuple[str, dict[str, Any], str | None]:
    """(status, scores.json data, reason): never raises; an unusable input is a 'missing' result."""
    from thtui.core.scores import score_video

    try:
        scores = score_video(task.video, task.portrait, task.audio, reference=task.reference)
    except Exception as exc:  # InputError, a missing model package, a broken video: one line, stored
        reason = f"could not score: {exc}"
        return "missing", _missing_data(task, reason), reason
    return "ok", scores.to_json(with_series=True), None


def add_to_metrics_json(job_dir: Path, key: str, value: dict[str, Any]) -> None:
    """Set one section of a finished job's metrics.json (scores, paper_scores); a job without a readable
    metrics.json is left as it is."""
    metrics_path = job_dir / "metrics.json"
    try:
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(metrics, dict):
        metrics[key] = value
        metrics_path.write_text(json.dumps(metrics, indent=2, default=str) + "\n", encoding="utf-8")


def store_scores(task: ScoreTask, status: str, data: dict[str, Any], store: Any, files: Any | None) -> None:
    """Write the score of one job everywhere it is read from (see the module docstring)."""
    from thtui.core.scores.stored import save_scores

    job_dir = Path(task.job_dir)
    if job_dir.is_dir():
        (job_dir / SCORES_JSON).write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
        add_to_metrics_json(job_dir, "scores", {"status": status, **summary(data)})
    if files is not None:
        files.add_to_record(task.job_id, scores={"status": status, **summary(data)})
    if store is not None:
        save_scores(store, task.job_id, task.run_id, status, data)


class RunScorer:
    """One thread that scores a run's finished videos in the order they land."""

    def __init__(self, store: Any, files: Any | None, sink: EventSink = discard,
                 scorer: Callable[[ScoreTask], tuple[str, dict[str, Any], str | None]] = score_task,
                 paper: Any | None = None) -> None:  # fmt: skip
        self.store, self.files, self.sink, self._score = store, files, sink, scorer
        self.paper = paper  # a thtui.core.scores.paper_pipeline.PaperQueue: the evaluator after the jobs
        self._queue: queue.Queue[ScoreTask | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="thtui-scores", daemon=True)
        self._thread.start()
        self.done: dict[str, str] = {}  # job id -> "ok" | "missing"

    def submit(self, task: ScoreTask) -> None:
        self._queue.put(task)

    def _finish(self, task: ScoreTask, status: str, data: dict[str, Any], reason: str | None) -> None:
        try:
            store_scores(task, status, data, self.store, self.files)
        except Exception as exc:  # a full disk must not kill the thread and leave the run waiting
            status, reason = "missing", f"could not store the scores: {exc}"
        self.done[task.job_id] = status
        if self.paper is not None and status == "ok":
            self.paper.add(task, data)
        values = {k: data.get(k) for k in _names()}
        self.sink(JobScored(task.job_id, status, values, reason, data.get("missing") or {}))

    def _work(self) -> None:
        while (task := self._queue.get()) is not None:
            if self._stop.is_set():
                reason = "not scored: the run was stopped first (thtui score RUN scores it later)"
                self._finish(task, "missing", _missing_data(task, reason), reason)
                continue
            self._finish(task, *self._score(task))

    def close(self, stopped: bool = False, run_id: str | None = None) -> dict[str, str]:
        """Wait for every pending score; with `stopped`, store the ones not begun as missing instead."""
        if stopped:
            self._stop.set()
        elif run_id and (pending := self._queue.qsize()):  # the jobs are done; say why the run still works
            from thtui.core.jobs.events import RunStage
            from thtui.core.wording import plural

            self.sink(RunStage(run_id, "scores", f"scoring {plural(pending, 'more video')} on the CPU"))
        self._queue.put(None)
        self._thread.join()
        if self.paper is not None and not stopped and self.paper.items:  # the jobs are done: GPU is free
            if run_id:
                from thtui.core.jobs.events import RunStage

                self.sink(RunStage(run_id, "scores", "paper scores (evaluator env: SyncNet, ArcFace)"))
            self.paper.run(self.store, self.files, self.sink)
        return dict(self.done)


def score_unscored(scorer: RunScorer, store: Any, run_id: str, jobs: list[Any]) -> int:
    """On resume: queue the run's earlier successful jobs (JobInfo) whose video has no 'ok' score yet
    (the scorer was stopped with the run, or the run predates scoring). Returns how many."""
    from thtui.core.reference_inputs import reference_for
    from thtui.core.scores.stored import run_scores

    done = {job_id for job_id, d in run_scores(store, run_id).items() if d.get("status") == "ok"}
    files = scorer.files
    queued = 0
    for info in jobs:
        video = Path(info.job_dir) / "result.mp4"
        if info.job_id not in done and not info.warmup and video.is_file():
            ref = reference_for(files.data, files.run_dir, info.image) if files is not None else None
            task = task_for(run_id, info.job_id, info.job_dir, str(video), info.image, info.audio, ref)
            scorer.submit(task)
            queued += 1
    return queued


def _names() -> tuple[str, ...]:
    from thtui.core.scores import METRICS

    return tuple(METRICS)


def rescore_run(settings: Any, run_id: str, sink: EventSink = discard) -> dict[str, str]:
    """Score every successful job of a finished run again (thtui score RUN); job id -> status."""
    from thtui.core.jobs.records import RunFiles
    from thtui.core.store import Store

    store = Store(settings.db_path)
    try:
        run = store.get_run(run_id)
        run_dir = Path(run.run_dir) if run else settings.outputs_dir / run_id
        files = RunFiles.load(run_dir)
        jobs = [
            (j.id, j.job_dir, j.image, j.audio)
            for j in store.list_jobs(run_id)
            if j.status == "ok" and not j.warmup
        ]
        if not jobs and files is not None:  # no database record: the files know
            jobs = [
                (e["job_id"], e["job_dir"], e["image"], e["audio"])
                for e in files.data.get("jobs", [])
                if e.get("status") == "ok" and not e.get("warmup")
            ]
        scorer = RunScorer(store, files, sink)
        from thtui.core.reference_inputs import reference_for

        for job_id, job_dir, image, audio in jobs:
            video = Path(job_dir) / "result.mp4"
            ref = reference_for(files.data, run_dir, image) if files is not None else None
            scorer.submit(task_for(run_id, job_id, job_dir, str(video), image, audio, ref))
        return scorer.close()
    finally:
        store.close()


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
