"""Set-level paper scores of a run: FID over all frames and FVD over all 16-frame clips of all cases of each
system, as papers report them.

FID and FVD are set metrics: a per-video FID compares one clip's few hundred frames in a 2048-d feature
space, a per-video FVD a handful of 16-frame clips in a 400-d one, so both are noisy and biased upward.
With a ground truth the evaluator saves each job's features (`<job dir>/fid_features.npz`, the name kept
from when it held FID's only: Inception pool3 features of the generated and reference frames, and I3D
features of their clips); after the run's paper pass, `thtui_evaluator fid --features ...` pools every case
of a system into one FID and one FVD, written to `<run dir>/paper_set_scores.json`, where the paper-style
table reads them.

    features_path(job_dir) -> Path
    compute_set_scores(env, run_dir, groups, cancel=None) -> {"fid": {solution: entry}, "fvd": {...}}
    load_set_scores(run_dir) -> dict                               {} when there is none
    set_fid(run_dir, solution) / set_fvd(run_dir, solution) -> entry | None
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from pathlib import Path
from typing import Any

FEATURES = "fid_features.npz"
SET_JSON = "paper_set_scores.json"
SET_FID_METHOD = (
    "FID pooled over all frames of all cases of the system (Inception pool3 features of each generated frame "
    "vs each ground-truth frame, 25 fps); per-video FIDs are in each job's paper scores"
)
SET_FVD_METHOD = (
    "FVD pooled over all 16-frame clips of all cases of the system (I3D features of each generated clip vs "
    "each ground-truth clip, non-overlapping from frame 0 at 25 fps); per-video FVDs are in each job's paper scores"
)
_KEEP = {
    "fid": ("fid", "frames", "reference_frames", "cases"),
    "fvd": ("fvd", "fvd_clips", "fvd_reference_clips", "cases"),
}


def features_path(job_dir: str | Path) -> Path:
    return Path(job_dir) / FEATURES


def compute_set_scores(
    env: Any, run_dir: str | Path, groups: dict[str, list[str]], cancel: threading.Event | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """`groups`: solution -> its jobs' dirs. Runs the evaluator env once per solution; never raises.
    -> {"fid": {solution: {"fid", "frames", "cases", "job_dirs"} | {"fid": None, "why"}}, "fvd": {... "fvd",
    "fvd_clips"}}; "cases" is the number of feature files (jobs), "job_dirs" the jobs pooled."""
    from thtui.core.scores.paper_run import BOOT, PACKAGE_DIR, run_paper

    out: dict[str, dict[str, dict[str, Any]]] = {"fid": {}, "fvd": {}}
    for solution, dirs in groups.items():
        files = [str(features_path(d)) for d in dirs if features_path(d).is_file()]
        if not files:
            continue
        if cancel is not None and cancel.is_set():
            break
        argv = [str(env.python), "-c", BOOT, str(PACKAGE_DIR), "fid", "--features", *files]
        run = run_paper(argv, timeout=900, cancel=cancel)
        missing = run.data.get("missing") if run.ok else None
        for key, keep in _KEEP.items():
            if run.ok and _finite(run.data.get(key)):
                # the pooled jobs' dirs: the table counts their distinct cases (the evaluator's "cases" is
                # its file count, so a case's repeats would count several times)
                job_dirs = [str(Path(f).parent) for f in files]
                out[key][solution] = {**{k: run.data.get(k) for k in keep}, "job_dirs": job_dirs}
                continue
            why = (missing or {}).get(key) if isinstance(missing, dict) else None
            if run.ok and isinstance(run.data.get(key), float):  # NaN or inf: no number to show
                why = "not a finite number"
            why = why or (run.error if not run.ok else "the evaluator gave none")
            out[key][solution] = {key: None, "why": f"set-level {key.upper()} not computed: {why}"}
    if any(out.values()):
        path = Path(run_dir) / SET_JSON
        blob = {"fid": out["fid"], "fvd": out["fvd"], "method": SET_FID_METHOD, "fvd_method": SET_FVD_METHOD}
        with contextlib.suppress(OSError):  # an unwritable run dir: the per-job values still stand
            path.write_text(json.dumps(blob, indent=1), encoding="utf-8")
    return out


def load_set_scores(run_dir: str | Path | None) -> dict[str, Any]:
    if run_dir is None:
        return {}
    try:
        data = json.loads((Path(run_dir) / SET_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def pooled(run_dir: str | Path | None, solution: str, key: str) -> dict[str, Any] | None:
    """The pooled `key` ("fid" | "fvd") entry of one system of a run, None when absent."""
    entry = (load_set_scores(run_dir).get(key) or {}).get(solution)
    return entry if isinstance(entry, dict) and _finite(entry.get(key)) else None


def _finite(value: Any) -> bool:
    """A number the table can show: JSON carries NaN and Infinity through, and neither is a score."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def set_fid(run_dir: str | Path | None, solution: str) -> dict[str, Any] | None:
    """The pooled FID entry of one system of a run ({"fid", "frames", "cases"}), None when absent."""
    return pooled(run_dir, solution, "fid")


def set_fvd(run_dir: str | Path | None, solution: str) -> dict[str, Any] | None:
    """The pooled FVD entry of one system of a run ({"fvd", "fvd_clips", "cases"}), None when absent."""
    return pooled(run_dir, solution, "fvd")
