"""Where paper-standard scores live: the store's `paper_scores` table (one row per job, replaced on
rescore), `<job dir>/paper_scores.json`, metrics.json's "paper_scores" and a results.jsonl line.

A row's data has the score keys at the top level (thtui.core.scores.paper_run.PAPER_KEYS: lse_c, lse_d,
av_offset, csim, fid, fvd, lpips, psnr, ssim, lmd; None when absent), "missing" (key -> why),
"directions" and "methods" (key -> text) and "evaluator" (device, weights, timings, the SyncNet curve).
They sit beside the offline scores (table `scores`), whose psnr/ssim/lmd come from the dlib pass.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

PAPER_JSON = "paper_scores.json"


def save_paper_scores(store: Any, job_id: str, run_id: str, status: str, data: dict[str, Any]) -> None:
    store._tx(
        [
            (
                "INSERT OR REPLACE INTO paper_scores(job_id, run_id, status, scored_at, data_json) "
                "VALUES (?, ?, ?, ?, ?)",
                (job_id, run_id, status, time.time(), json.dumps(data, ensure_ascii=False)),
            )
        ]
    )


def _rows(store: Any, sql: str, args: tuple) -> list[Any]:
    try:
        return store._rows(sql, args)
    except sqlite3.OperationalError:  # a database opened by an older thtui: no such table yet
        return []


def paper_run_scores(store: Any, run_id: str) -> dict[str, dict[str, Any]]:
    """job id -> paper scores (with "status": ok | missing) for every job of a run that has them."""
    out = {}
    for r in _rows(store, "SELECT job_id, status, data_json FROM paper_scores WHERE run_id=?", (run_id,)):
        try:
            out[r["job_id"]] = {**json.loads(r["data_json"]), "status": r["status"]}
        except ValueError:
            continue
    return out


def paper_job_scores(store: Any | None, job_id: str, job_dir: Path | str | None) -> dict[str, Any] | None:
    """One job's paper scores: the store first, else <job dir>/paper_scores.json."""
    if store is not None:
        for r in _rows(store, "SELECT status, data_json FROM paper_scores WHERE job_id=?", (job_id,)):
            try:
                return {**json.loads(r["data_json"]), "status": r["status"]}
            except ValueError:
                pass
    if job_dir is not None:
        try:
            data = json.loads((Path(job_dir) / PAPER_JSON).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None
    return None


def paper_summary(data: dict[str, Any]) -> dict[str, Any]:
    """What metrics.json and results.jsonl carry (no SyncNet curve)."""
    from thtui.core.scores.paper_run import PAPER_KEYS

    return {
        "values": {k: data.get(k) for k in PAPER_KEYS},
        "missing": data.get("missing") or {},
        "device": (data.get("evaluator") or {}).get("device"),
        "weights": (data.get("evaluator") or {}).get("weights"),
    }


def store_paper(
    job_id: str, run_id: str, job_dir: str, status: str, data: dict[str, Any], store: Any, files: Any | None
) -> None:
    path = Path(job_dir)
    if path.is_dir():
        (path / PAPER_JSON).write_text(
            json.dumps({**data, "status": status}, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        from thtui.core.scores.pipeline import add_to_metrics_json

        add_to_metrics_json(path, "paper_scores", {"status": status, **paper_summary(data)})
    if files is not None:
        files.add_to_record(job_id, paper_scores={"status": status, **paper_summary(data)})
    if store is not None:
        save_paper_scores(store, job_id, run_id, status, data)
