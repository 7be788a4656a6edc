"""The run's matrix: solutions x cases (image, audio) x repeats (+ one warm-up per solution), each with
its job id, job dir and inference plan. Deterministic, so a resumed run rebuilds the same job ids.

Layout under outputs/<run-id>/:
    <solution>/                     one case, one repeat, no warm-up
    <solution>/r1/ ... /rN/         --repeat N (or --warmup): a subdir per repeat
    <solution>/warmup/              the untimed warm-up job (on the first case)
    <solution>/<k>-<image>-<audio>/[rN/|warmup/]   several images or audios: a subdir per case
    _prepared/<solution>/<case>/    inputs prepared once per solution and case, copied into each job
    _prepared/_sources/<n>-<video>.png   the first frame of each --video (portrait systems animate it)
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
from thtui.core.plan import InferencePlan, build_plan, effective_prompt, is_safe_dir

PREPARED_DIR = "_prepared"
SOURCES_DIR = "_sources"  # under PREPARED_DIR; never a solution name (those start with a letter)


@dataclass(frozen=True)
class Case:
    index: int
    image: Path
    audio: Path
    name: str  # "" when the run has a single case
    video: Path | None = None  # the user's video (then `image` is its first frame, written by the run)


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


def source_frame(run_dir: Path, index: int, video: Path) -> Path:
    """Where the run writes the first frame of its `index`-th --video."""
    return Path(run_dir) / PREPARED_DIR / SOURCES_DIR / f"{index}-{_stem(Path(video))}.png"


def cases(
    images: tuple[Path, ...],
    audios: tuple[Path, ...],
    videos: tuple[Path, ...] = (),
    run_dir: Path | None = None,
) -> list[Case]:
    """Every source (image, or video with its first frame under `run_dir`) x every audio."""
    sources: list[tuple[Path, Path | None]] = [(Path(i).resolve(), None) for i in images]
    if videos:
        if run_dir is None:
            raise ValueError("video cases need the run dir (where their first frames go)")
        sources += [(source_frame(run_dir, n, v), Path(v).resolve()) for n, v in enumerate(videos)]
    pairs = [(s, a) for s in sources for a in audios]
    single = len(pairs) == 1
    return [
        Case(
            k,
            image,
            Path(a).resolve(),
            "" if single else f"{k}-{_stem(video or image)}-{_stem(Path(a))}",
            video,
        )
        for k, ((image, video), a) in enumerate(pairs)
    ]


def reference_cases(run_dir: Path, references: tuple[Path, ...]) -> list[Case]:
    """--reference: the portrait and speech each reference gives (thtui.core.reference_inputs), one case each."""
    from thtui.core.reference_inputs import case_inputs

    found = case_inputs(run_dir, references)
    single = len(found) == 1
    return [Case(k, p, a, "" if single else f"{k}-{_stem(r)}") for k, (r, p, a) in enumerate(found)]


def _video_for(job_video: Path | str | None, loaded: LoadedSolution) -> Path | None:
    """The video a plan takes: only systems that redraw a video's mouth; portrait systems use the frame."""
    from thtui.core.inputs_video import takes_video

    return Path(job_video) if job_video and takes_video(loaded.solution) else None


def build_matrix(
    spec: RunSpec, catalog: Catalog, run_id: str, run_dir: Path, audios: tuple[Path, ...]
) -> list[PlannedJob]:
    """Warm-ups first (one per solution, on its first case), then every solution x case x repeat."""
    # --reference: one case per reference video, paired with its own audio (not a cross product)
    refs = spec.references
    all_cases = reference_cases(run_dir, refs) if refs else cases(spec.images, audios, spec.videos, run_dir)
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
            video=str(case.video) if case.video else None,
            prompt=effective_prompt(loaded.solution, spec.prompt),
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
        video=_video_for(info.video, job.loaded),
        prompt=info.prompt,
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
        video=_video_for(job.case.video, job.loaded),
        prompt=job.info.prompt,
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
