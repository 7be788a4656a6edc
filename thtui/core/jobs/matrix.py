"""The run's matrix: solutions x cases (image, audio) x repeats (+ one warm-up per solution), each with
its job id, job dir and inference plan. Deterministic, so a resumed run rebuilds the same job ids.

Layout under outputs/<run-id>/:
    <solution>/                     one case, one repeat, no warm-up
    <solution>/r1/ ... /rN/         --repeat N (or --warmup): a subdir per repeat
    <solution>/warmup/              the untimed warm-up job (on the first case)
    <solution>/<k>-<image>-<audio>/[rN/|warmup/]   several images or audios: a subdir per case
    _prepared/<solution>/<case>/    inputs prepared once per solution and case, copied into each job
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from thtui.core.catalog import Catalog, LoadedSolution
from thtui.core.config import Settings
from thtui.core.jobs.events import JobInfo
from thtui.core.jobs.spec import RunSpec
from thtui.core.plan import InferencePlan, build_plan, is_safe_dir

PREPARED_DIR = "_prepared"


@dataclass(frozen=True)
class Case:
    index: int
    image: Path
    audio: Path
    name: str  # "" when the run has a single case


@dataclass(frozen=True)
class PlannedJob:
    seq: int
    info: JobInfo
    loaded: LoadedSolution
    case: Case

    @property
    def solution(self) -> str:
        return self.info.solution


def _stem(path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", path.stem)[:24].strip("_") or "x"


def cases(images: tuple[Path, ...], audios: tuple[Path, ...]) -> list[Case]:
    pairs = [(i, a) for i in images for a in audios]
    single = len(pairs) == 1
    return [
        Case(
            k,
            Path(i).resolve(),
            Path(a).resolve(),
            "" if single else f"{k}-{_stem(Path(i))}-{_stem(Path(a))}",
        )
        for k, (i, a) in enumerate(pairs)
    ]


def reference_cases(run_dir: Path, references: tuple[Path, ...]) -> list[Case]:
    """--reference: the portrait and speech each reference gives (thtui.core.reference_inputs), one case each."""
    from thtui.core.reference_inputs import case_inputs

    found = case_inputs(run_dir, references)
    single = len(found) == 1
    return [Case(k, p, a, "" if single else f"{k}-{_stem(r)}") for k, (r, p, a) in enumerate(found)]


def build_matrix(
    spec: RunSpec, catalog: Catalog, run_id: str, run_dir: Path, audios: tuple[Path, ...]
) -> list[PlannedJob]:
    """Warm-ups first (one per solution, on its first case), then every solution x case x repeat."""
    # --reference: one case per reference video, paired with its own audio (not a cross product)
    refs = spec.references
    all_cases = reference_cases(run_dir, refs) if refs else cases(spec.images, audios)
    per_repeat_dirs = spec.repeat > 1 or spec.warmup
    jobs: list[PlannedJob] = []

    def add(loaded: LoadedSolution, case: Case, repeat: int, warmup: bool) -> None:
        rel = Path(loaded.name, case.name) if case.name else Path(loaded.name)
        if warmup:
            rel = rel / "warmup"
        elif per_repeat_dirs:
            rel = rel / f"r{repeat}"
        info = JobInfo(
            job_id=f"{run_id}/{rel.as_posix()}",
            solution=loaded.name,
            case_index=case.index,
            image=str(case.image),
            audio=str(case.audio),
            repeat=0 if warmup else repeat,
            warmup=warmup,
            job_dir=str(run_dir / rel),
        )
        jobs.append(PlannedJob(len(jobs), info, loaded, case))

    for name in spec.solutions:
        loaded = catalog.get(name)
        if spec.warmup:
            add(loaded, all_cases[0], 0, True)
        for case in all_cases:
            for r in range(1, spec.repeat + 1):
                add(loaded, case, r, False)
    return jobs


def plan_for(job: PlannedJob, settings: Settings, gpu: int | tuple[int, ...] | None) -> InferencePlan:
    """The job's plan. When its dir is not shell-safe the plan puts scratch under the temp dir, keyed by
    run id and solution only; a job-unique id keeps parallel repeats and cases apart there."""
    info = job.info
    run_id = info.job_id.split("/", 1)[0]
    if not is_safe_dir(Path(info.job_dir)):
        run_id = re.sub(r"[^A-Za-z0-9_-]+", "-", info.job_id)
    return build_plan(
        job.loaded,
        settings,
        Path(info.image),
        Path(info.audio),
        run_id=run_id,
        gpu=gpu,
        job_dir=Path(info.job_dir),
    )


def prepared_plan(job: PlannedJob, settings: Settings, run_dir: Path) -> InferencePlan:
    """A plan whose prepared-input paths live in _prepared/<solution>/<case>/: prepared once, copied
    into each job of that solution and case."""
    case_dir = job.case.name or "case"
    where = run_dir / PREPARED_DIR / job.solution / case_dir
    return build_plan(
        job.loaded,
        settings,
        job.case.image,
        job.case.audio,
        run_id=re.sub(r"[^A-Za-z0-9_-]+", "-", f"{run_dir.name}-prep-{job.solution}-{case_dir}"),
        gpu=None,
        job_dir=where,
    )


def copy_prepared(source: InferencePlan, dest: InferencePlan) -> bool:
    """Copy the prepared inputs of `source` to `dest`'s paths (a copy, not a link: an upstream script
    that edits its input in place must not spoil the next job's). False when one is missing."""
    by_kind = {i.kind: i.dest for i in source.inputs}
    if not all(Path(by_kind.get(i.kind, "")).is_file() for i in dest.inputs):
        return False
    for item in dest.inputs:
        target = Path(item.dest)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(by_kind[item.kind], target)
    return True
