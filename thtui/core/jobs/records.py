"""The files that make a run self-describing without the database:

- outputs/<run-id>/run.json: written first (spec, inputs, solutions, options, planned jobs), then
  rewritten atomically as jobs finish (their status, result and log paths) and when the run ends;
- outputs/<run-id>/results.jsonl: one line appended per finished job (ok, failed or cancelled). A job
  rerun by `--resume` appends again; the last line of a job id wins.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from thtui import __version__
from thtui.core.jobs.events import JobInfo
from thtui.core.metrics import JobMetrics
from thtui.core.run_state import current_owner

RUN_JSON = "run.json"
RESULTS_JSONL = "results.jsonl"


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(t))


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.partial")
    tmp.write_text(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_run_json(run_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((Path(run_dir) / RUN_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_results(run_dir: Path) -> dict[str, dict[str, Any]]:
    """job id -> its latest results.jsonl record (a torn last line from a crash is ignored)."""
    out: dict[str, dict[str, Any]] = {}
    try:
        lines = (Path(run_dir) / RESULTS_JSONL).read_text(encoding="utf-8").splitlines()
    except OSError:
        return out
    for line in lines:
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict) and "job_id" in rec:
            out[rec["job_id"]] = rec
    return out


class RunFiles:
    """run.json + results.jsonl of one run; thread-safe (workers finish jobs concurrently)."""

    def __init__(self, run_dir: Path, data: dict[str, Any]):
        self.run_dir = Path(run_dir)
        self.data = data
        self._lock = threading.Lock()

    @classmethod
    def create(cls, run_dir: Path, run_id: str, spec: dict[str, Any], inputs: dict[str, Any]) -> RunFiles:
        run_dir.mkdir(parents=True, exist_ok=True)
        now = time.time()
        data = {
            "schema": 1,
            "run_id": run_id,
            "created_at": _iso(now),
            "created_ts": now,
            "status": "running",
            "thtui_version": __version__,
            "solutions": spec["solutions"],
            "inputs": inputs,
            "options": {k: spec[k] for k in ("repeat", "warmup", "gpus", "timeout", "grace_s", "pack")},
            "spec": spec,
            "sessions": [{"started_at": _iso(now), "pid": os.getpid(), "resumed": False}],
            "owner": current_owner().to_json(),  # thtui.core.run_state: running only while it lives
            "jobs": [],
        }
        files = cls(run_dir, data)
        files.save()
        return files

    @classmethod
    def load(cls, run_dir: Path) -> RunFiles | None:
        data = read_run_json(run_dir)
        return cls(run_dir, data) if data is not None else None

    def save(self) -> None:
        with self._lock:
            _write_json(self.run_dir / RUN_JSON, self.data)

    def update(self, **fields: Any) -> None:
        with self._lock:
            self.data.update(fields)
        self.save()

    def new_session(self) -> None:
        with self._lock:
            self.data.setdefault("sessions", []).append(
                {"started_at": _iso(time.time()), "pid": os.getpid(), "resumed": True}
            )
            self.data["status"] = "running"
            self.data["owner"] = current_owner().to_json()
        self.save()

    def set_jobs(self, jobs: list[JobInfo], statuses: dict[str, str]) -> None:
        with self._lock:
            previous = {j.get("job_id"): j for j in self.data.get("jobs", [])}
            self.data["jobs"] = [
                {**previous.get(j.job_id, {}), **_job_entry(j), "status": statuses.get(j.job_id, "pending")}
                for j in jobs
            ]
        self.save()

    def job_finished(self, info: JobInfo, metrics: JobMetrics, result: str | None) -> None:
        record = {
            **_job_entry(info),
            "status": metrics.status,
            "result": result,
            "log": str(Path(info.job_dir) / "log.txt"),
            "failure_class": metrics.failure_class,
            "finished_at": _iso(time.time()),
        }
        with self._lock:
            for entry in self.data.get("jobs", []):
                if entry.get("job_id") == info.job_id:
                    entry.update(record)
            with open(self.run_dir / RESULTS_JSONL, "a", encoding="utf-8") as f:
                metrics_json = {k: v for k, v in metrics.to_json().items() if k != "definitions"}
                f.write(json.dumps({**record, "metrics": metrics_json}, default=str) + "\n")
        self.save()

    def add_to_record(self, job_id: str, **fields: Any) -> None:
        """Append the job's latest results.jsonl record again with `fields` added (the last line wins,
        so readers see them); run.json's entry gains them too. Used for scores, which land after the job."""
        with self._lock:
            record = read_results(self.run_dir).get(job_id, {"job_id": job_id})
            with open(self.run_dir / RESULTS_JSONL, "a", encoding="utf-8") as f:
                f.write(json.dumps({**record, **fields}, default=str) + "\n")
            for entry in self.data.get("jobs", []):
                if entry.get("job_id") == job_id:
                    entry.update(fields)
        self.save()


def _job_entry(j: JobInfo) -> dict[str, Any]:
    return {
        "job_id": j.job_id,
        "solution": j.solution,
        "case_index": j.case_index,
        "image": j.image,
        "audio": j.audio,
        "repeat": j.repeat,
        "warmup": j.warmup,
        "job_dir": j.job_dir,
        **({"video": j.video} if j.video else {}),  # the user's video; `image` is then its first frame
        **({"prompt": j.prompt} if j.prompt is not None else {}),  # solutions with infer.prompt only
    }
