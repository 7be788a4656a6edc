"""The store's `scores` table (created in thtui.core.store's schema): one row per job, replaced on rescore.

Read and written here, as thtui.core.ratings does for its table, so the store module stays small.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any


def save_scores(store: Any, job_id: str, run_id: str, status: str, data: dict[str, Any]) -> None:
    store._tx(
        [
            (
                "INSERT OR REPLACE INTO scores(job_id, run_id, status, scored_at, data_json) VALUES (?, ?, ?, ?, ?)",
                (job_id, run_id, status, time.time(), json.dumps(data, ensure_ascii=False)),
            )
        ]
    )


def run_scores(store: Any, run_id: str) -> dict[str, dict[str, Any]]:
    """job id -> scores.json data (with "status") for every scored job of a run."""
    rows = store._rows("SELECT job_id, status, data_json FROM scores WHERE run_id=?", (run_id,))
    out = {}
    for r in rows:
        try:
            data = json.loads(r["data_json"])
        except ValueError:
            continue
        out[r["job_id"]] = {**data, "status": r["status"]}
    return out


def job_scores(store: Any | None, job_id: str, job_dir: Path | str | None) -> dict[str, Any] | None:
    """One job's scores: the store first, else <job dir>/scores.json (a copied outputs folder)."""
    if store is not None:
        rows = store._rows("SELECT status, data_json FROM scores WHERE job_id=?", (job_id,))
        if rows:
            try:
                return {**json.loads(rows[0]["data_json"]), "status": rows[0]["status"]}
            except ValueError:
                pass
    if job_dir is not None:
        try:
            data = json.loads((Path(job_dir) / "scores.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if isinstance(data, dict):
            return {"status": "ok" if not _all_missing(data) else "missing", **data}
    return None


def _all_missing(data: dict[str, Any]) -> bool:
    from thtui.core.scores import METRICS

    return all(data.get(k) is None for k in METRICS)


def scored_counts(store: Any) -> dict[str, dict[str, int]]:
    """run id -> {"ok": n, "missing": n}: how many of its jobs have scores (for `thtui runs --json`)."""
    rows = store._rows("SELECT run_id, status, COUNT(*) AS n FROM scores GROUP BY run_id, status")
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r["run_id"], {})[r["status"]] = r["n"]
    return out
