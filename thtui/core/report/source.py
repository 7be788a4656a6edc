"""Read one run into plain objects the compare/report code works on.

The runs store (thtui.core.store: runs + jobs tables) is the source of truth; the files the runs engine
writes beside each job (outputs/<run-id>/run.json, <job dir>/metrics.json, result.mp4, log.txt) are the
fallback, so a copied outputs folder without its database still renders. Downstream code sees only
RunView/JobView.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from thtui.core.config import Settings
from thtui.core.run_state import MISSING, run_state, state_of_files


class RunNotFound(LookupError):
    pass


@dataclass(frozen=True)
class JobView:
    job_id: str
    solution: str
    label: str  # what tiles and tables show: the solution, plus case/repeat when the run has several
    status: str  # "ok" | "failed" | "cancelled" | "pending" | "running"
    ok: bool
    job_dir: Path
    video: Path | None  # result.mp4 of a successful job, when it exists
    log: Path | None
    metrics: dict[str, Any]  # metrics.json / JobMetrics.to_json(): raw keys
    error: str | None = None
    failure: str | None = None  # failure class, when failed
    case_index: int = 0
    repeat: int = 1
    warmup: bool = False
    image: Path | None = None  # the job's input portrait
    audio: Path | None = None  # the job's input audio

    @property
    def unfinished(self) -> bool:
        """Not run yet or running now: neither a success nor a failure (a run in progress, or one
        interrupted before it got there)."""
        return self.status in ("pending", "running")


@dataclass(frozen=True)
class RunView:
    run_id: str
    dir: Path
    created_at: str | None
    status: str | None  # thtui.core.run_state: running | interrupted | done | failed
    inputs: dict[str, Any]  # shown in report headers
    source_image: Path | None
    source_audio: Path | None
    fingerprint: dict[str, Any] | None
    jobs: list[JobView]  # timed jobs only (warm-ups are left out: their numbers include cold caches)
    raw: dict[str, Any] = field(default_factory=dict)  # run.json (or the store's spec)

    def jobs_of_case(self, case_index: int = 0) -> list[JobView]:
        return [j for j in self.jobs if j.case_index == case_index]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _as_path(value: Any, base: Path) -> Path | None:
    if not value or not isinstance(value, str):
        return None
    p = Path(value)
    return p if p.is_absolute() else base / p


def _first(d: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if d.get(k) not in (None, ""):
            return d[k]
    return None


def _iso(value: Any) -> str | None:
    if isinstance(value, (int, float)):
        import time

        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))
    return str(value) if value else None


def _inputs_of(spec: dict[str, Any]) -> dict[str, Any]:
    """The few input facts a report header shows (text values only), from run.json's "inputs" and
    "options" or the store's spec, whichever has them."""
    merged: dict[str, Any] = {}
    for part in (spec, spec.get("spec"), spec.get("options"), spec.get("inputs")):
        if isinstance(part, dict):
            merged.update({k: v for k, v in part.items() if v not in (None, "", [], {})})
    out: dict[str, Any] = {}
    for key, label in (("images", "image"), ("image", "image"), ("audios", "audio"), ("audio", "audio")):
        v = merged.get(key)
        if label not in out and v:
            out[label] = ", ".join(map(str, v)) if isinstance(v, list) else v
    for key in ("text", "tts", "voice", "repeat", "warmup"):
        v = merged.get(key)
        if v not in (None, "", False):
            out[key] = v
    return {k: v for k, v in out.items() if isinstance(v, (str, int, float))}


def _finish(jobs: list[JobView]) -> list[JobView]:
    """Warm-ups out; labels that tell repeated solutions and cases apart."""
    timed = [j for j in jobs if not j.warmup]
    cases = {j.case_index for j in timed}
    per: dict[tuple[str, int], int] = {}
    for j in timed:
        per[(j.solution, j.case_index)] = per.get((j.solution, j.case_index), 0) + 1
    out = []
    for j in timed:
        label = j.solution
        if len(cases) > 1:
            label += f" · case {j.case_index + 1}"
        if per[(j.solution, j.case_index)] > 1:
            label += f" · r{j.repeat}"
        out.append(replace(j, label=label))
    return out


def _video(job_dir: Path, ok: bool) -> Path | None:
    v = job_dir / "result.mp4"
    return v if ok and v.is_file() else None


def _log(job_dir: Path) -> Path | None:
    log = job_dir / "log.txt"
    return log if log.is_file() else None


def _from_store(settings: Settings, run_id: str) -> RunView | None:
    if not settings.db_path.exists():
        return None
    try:
        from thtui.core.store import Store
    except ImportError:
        return None
    store = Store(settings.db_path)
    try:
        rec = store.get_run(run_id)
        if rec is None:
            return None
        records = store.list_jobs(run_id)
    finally:
        store.close()
    run_dir = Path(rec.run_dir)
    state = run_state(rec)
    if state == MISSING:  # refuse; writing report.html there would re-create the deleted folder
        raise RunNotFound(
            f"run {run_id}'s folder {run_dir} is gone (deleted or moved); there is nothing to report. "
            f"`thtui runs` lists it as missing"
        )
    run_json = _read_json(run_dir / "run.json")
    jobs = []
    for r in records:
        job_dir = Path(r.job_dir)
        metrics = r.metrics.to_json() if r.metrics is not None else _read_json(job_dir / "metrics.json")
        ok = r.status == "ok"
        jobs.append(
            JobView(
                job_id=r.id,
                solution=r.solution,
                label=r.solution,
                status=r.status,
                ok=ok,
                job_dir=job_dir,
                video=_video(job_dir, ok),
                log=_log(job_dir),
                metrics=metrics,
                error=r.failure_message,
                failure=r.failure_class,
                case_index=r.case_index,
                repeat=r.repeat,
                warmup=r.warmup,
                image=Path(r.image) if r.image else None,
                audio=Path(r.audio) if r.audio else None,
            )
        )
    spec = {**rec.spec, **run_json}
    return _view(run_id, run_dir, spec, _iso(rec.created_at), state, _finish(jobs))


def _view(
    run_id: str, run_dir: Path, spec: dict[str, Any], created: str | None, status: str | None, jobs
) -> RunView:
    first = jobs[0] if jobs else None
    fp = spec.get("fingerprint")  # run.json, written by the scheduler at run start
    return RunView(
        run_id=run_id,
        dir=run_dir,
        created_at=created,
        status=status,
        inputs=_inputs_of(spec),
        source_image=first.image if first else None,
        source_audio=first.audio if first else None,
        fingerprint=fp if isinstance(fp, dict) and fp else None,
        jobs=jobs,
        raw=spec,
    )


def _job_from_file(record: dict[str, Any], run_dir: Path) -> JobView:
    solution = str(_first(record, "solution", "name") or "?")
    job_dir = _as_path(record.get("job_dir"), run_dir) or run_dir / solution
    metrics = _read_json(job_dir / "metrics.json")
    status = str(_first(record, "status") or metrics.get("status") or "unknown")
    ok = status == "ok"
    return JobView(
        job_id=str(_first(record, "job_id", "id") or f"{run_dir.name}/{solution}"),
        solution=solution,
        label=solution,
        status=status,
        ok=ok,
        job_dir=job_dir,
        video=_video(job_dir, ok),
        log=_log(job_dir),
        metrics=metrics,
        error=_first(record, "failure_message", "error") or metrics.get("failure_message"),
        failure=_first(record, "failure_class") or metrics.get("failure_class"),
        case_index=int(record.get("case_index") or 0),
        repeat=int(record.get("repeat") or metrics.get("repeat") or 1),
        warmup=bool(record.get("warmup") or metrics.get("warmup")),
        image=_as_path(record.get("image"), run_dir),
        audio=_as_path(record.get("audio"), run_dir),
    )


def _from_files(settings: Settings, run_id: str) -> RunView:
    run_dir = settings.outputs_dir / run_id
    raw = _read_json(run_dir / "run.json")
    if not raw and not run_dir.is_dir():
        raise RunNotFound(f"no run {run_id!r} in {settings.db_path} or under {settings.outputs_dir}")
    records = raw.get("jobs")
    if not isinstance(records, list):  # no job list: every folder with a metrics.json is a job
        records = [
            {"job_id": f"{run_id}/{p.relative_to(run_dir).as_posix()}", "solution": p.relative_to(run_dir).parts[0],
             "job_dir": str(p)}
            for p in sorted(m.parent for m in run_dir.rglob("metrics.json"))
        ]  # fmt: skip
    jobs = [_job_from_file(r, run_dir) for r in records if isinstance(r, dict)]
    created = _iso(_first(raw, "created_at", "started_at"))
    return _view(run_id, run_dir, raw, created, state_of_files(run_dir, raw or None), _finish(jobs))


def load_run(settings: Settings, run_id: str) -> RunView:
    """The run `run_id`: from the store when it knows it, else from the files under outputs/<run_id>.
    Raises RunNotFound."""
    return _from_store(settings, run_id) or _from_files(settings, run_id)


def latest_run_id(settings: Settings) -> str | None:
    """Newest run in the store, else the newest outputs/<run-id>/run.json."""
    if settings.db_path.exists():
        try:
            from thtui.core.store import Store

            store = Store(settings.db_path)
            try:
                runs = store.list_runs(limit=1)
            finally:
                store.close()
            if runs:
                return runs[0].id
        except ImportError:
            pass
    if not settings.outputs_dir.is_dir():
        return None
    ids = sorted(p.name for p in settings.outputs_dir.iterdir() if (p / "run.json").is_file())
    return ids[-1] if ids else None


def resolve_job(run: RunView, name_or_id: str) -> JobView:
    """A job id, or a solution name meaning that solution's first successful job (first case, first
    repeat), else its first job. Raises LookupError naming what exists."""
    for j in run.jobs:
        if j.job_id == name_or_id:
            return j
    mine = [j for j in run.jobs if j.solution == name_or_id]
    if not mine:
        known = ", ".join(sorted({j.solution for j in run.jobs})) or "none"
        raise LookupError(f"run {run.run_id} has no job or solution {name_or_id!r} (solutions: {known})")
    return next((j for j in mine if j.ok), mine[0])
