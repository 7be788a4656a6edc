"""Set-level paper scores of a run: FID over all frames of all cases of each system, as papers report it.

FID is a set metric: a per-video FID (stored per job, in its paper scores) compares one clip's few
hundred frames in a 2048-d feature space, so it is noisy and biased upward. With a ground truth the
evaluator saves each job's Inception pool3 features (`<job dir>/fid_features.npz`: generated and
reference frames); after the run's paper pass, `thtui_evaluator fid --features ...` pools every case of
a system into one FID, written to `<run dir>/paper_set_scores.json`, where the paper-style table reads it.

    features_path(job_dir) -> Path
    compute_set_fid(env, run_dir, groups, cancel=None) -> dict     solution -> {"fid", "frames", "cases"} | {"why"}
    load_set_scores(run_dir) -> dict                               {} when there is none
"""

from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path
from typing import Any

FEATURES = "fid_features.npz"
SET_JSON = "paper_set_scores.json"
SET_FID_METHOD = (
    "FID pooled over all frames of all cases of the system (Inception pool3 features of each generated frame "
    "vs each ground-truth frame, 25 fps); per-video FIDs are in each job's paper scores"
)


def features_path(job_dir: str | Path) -> Path:
    return Path(job_dir) / FEATURES


def compute_set_fid(
    env: Any, run_dir: str | Path, groups: dict[str, list[str]], cancel: threading.Event | None = None
) -> dict[str, dict[str, Any]]:
    """`groups`: solution -> its jobs' dirs. Runs the evaluator env once per solution; never raises."""
    from thtui.core.scores.paper_run import BOOT, PACKAGE_DIR, run_paper

    out: dict[str, dict[str, Any]] = {}
    for solution, dirs in groups.items():
        files = [str(features_path(d)) for d in dirs if features_path(d).is_file()]
        if not files:
            continue
        if cancel is not None and cancel.is_set():
            break
        argv = [str(env.python), "-c", BOOT, str(PACKAGE_DIR), "fid", "--features", *files]
        run = run_paper(argv, timeout=900, cancel=cancel)
        if run.ok and isinstance(run.data.get("fid"), (int, float)):
            keep = ("fid", "frames", "reference_frames", "cases")
            out[solution] = {k: run.data.get(k) for k in keep}
        else:
            out[solution] = {"fid": None, "why": f"set-level FID not computed: {run.error}"}
    if out:
        path = Path(run_dir) / SET_JSON
        with contextlib.suppress(OSError):  # an unwritable run dir: the per-job values still stand
            path.write_text(json.dumps({"fid": out, "method": SET_FID_METHOD}, indent=1), encoding="utf-8")
    return out


def load_set_scores(run_dir: str | Path | None) -> dict[str, Any]:
    if run_dir is None:
        return {}
    try:
        data = json.loads((Path(run_dir) / SET_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def set_fid(run_dir: str | Path | None, solution: str) -> dict[str, Any] | None:
    """The pooled FID entry of one system of a run ({"fid", "frames", "cases"}), None when absent."""
    entry = (load_set_scores(run_dir).get("fid") or {}).get(solution)
    return entry if isinstance(entry, dict) and isinstance(entry.get("fid"), (int, float)) else None
