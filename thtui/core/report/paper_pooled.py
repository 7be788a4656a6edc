"""The paper-style table's cells, and its FID/FVD cells in particular. FID and FVD are set metrics: the value
pooled over all frames / 16-frame clips of a system's cases (thtui.core.scores.paper_set) replaces the mean
of per-video values when the run has it, and says so ("287.2 (pooled, 30 clips, n=2)"); otherwise the cell
stays the mean of per-video values, with a note saying so and why nothing was pooled.

n in a pooled cell counts the distinct cases whose features were pooled (a case's repeats are one case),
as n does in every other cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from thtui.core.wording import plural

SET_NOTE = (
    "FID and FVD are set metrics: the table pools all frames (FID) and all 16-frame clips (FVD) of all of a "
    'system\'s cases into one value when the run has it, marked "pooled" with what it pooled (per-video '
    "values, noisy over a clip's few hundred frames or a handful of clips, are in each job's paper scores); "
    'a FID/FVD cell without "pooled" is the mean of per-video values (the reason is below).'
)
_COUNTS = {"fid": ("frames", "frame"), "fvd": ("fvd_clips", "clip")}


@dataclass(frozen=True)
class Cell:
    mean: float | None
    n: int  # cases with a value (a case's repeats are averaged first; pooled: cases whose features it pools)
    cases: int  # cases of this system (successful or not)
    why: str | None = None  # why absent (mean is None)
    pooled: str | None = None  # what a pooled FID/FVD pools ("30 clips"); None: a mean over cases
    note: str | None = None  # said under the table, e.g. why a FID/FVD is the mean of per-video values


def _not_pooled(key: str, run_dir: Any, solution: str) -> str:
    from thtui.core.scores.paper_set import load_set_scores

    entry = (load_set_scores(run_dir).get(key) or {}).get(solution)
    if not isinstance(entry, dict):
        return "the run has no pooled value (no saved features, or the run-level pass did not run)"
    if entry.get("why"):
        return str(entry["why"])
    if isinstance(entry.get(key), float):  # NaN or inf (pooled() refuses it)
        return "the pooled value is not a finite number"
    return "the run-level pass gave no value"


def _pooled_cases(found: dict[str, Any], jobs: Sequence[Any], cases: int) -> int:
    """Distinct case indices of the jobs whose features were pooled (several repeats of a case are one)."""
    dirs = {str(Path(d)) for d in found.get("job_dirs") or []}
    if dirs:
        return len({j.case_index for j in jobs if str(Path(getattr(j, "job_dir", ""))) in dirs})
    # an older paper_set_scores.json without the pooled dirs: the jobs whose features file is there
    from thtui.core.scores.paper_set import features_path

    with_features = {
        j.case_index
        for j in jobs
        if getattr(j, "ok", False) and getattr(j, "job_dir", None) and features_path(j.job_dir).is_file()
    }
    return len(with_features) or min(int(found.get("cases") or 0), cases)


def set_level(key: str, per_case: Cell, run_dir: Any, solution: str, jobs: Sequence[Any] = ()) -> Cell:
    """The pooled FID / FVD cell of one system when the run has it, else the mean of per-video values with
    a note saying why nothing was pooled."""
    from thtui.core.scores.paper_set import pooled

    found = pooled(run_dir, solution, key)
    if found is None:
        if per_case.mean is None:
            return per_case
        return replace(
            per_case, note=f"the mean of per-video values, not pooled: {_not_pooled(key, run_dir, solution)}"
        )
    count_key, unit = _COUNTS[key]
    count = found.get(count_key)
    what = plural(count, unit) if isinstance(count, int) and not isinstance(count, bool) else f"all {unit}s"
    return Cell(float(found[key]), _pooled_cases(found, jobs, per_case.cases), per_case.cases, pooled=what)
