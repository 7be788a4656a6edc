"""What a run is asked to do (RunSpec) and what it did (RunResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thtui.core.jobs.events import JobInfo
from thtui.core.metrics import JobMetrics, Stats, aggregate


class RunError(ValueError):
    """The run cannot start (unknown or uninstalled solution, bad input, unknown run id): nothing ran."""


@dataclass(frozen=True)
class RunSpec:
    """The matrix: every solution x every image x every audio (or the one TTS text), `repeat` times.

    `warmup` adds one untimed job per solution before its timed ones (excluded from statistics).
    `gpus`: indices to spread jobs over, one job per GPU at a time unless `pack`; None = every GPU the
    monitor sees.
    `pack`: let several jobs share a GPU while their solutions' VRAM estimates fit in its memory (see
    thtui.core.jobs.packing); jobs that share contend, so their metrics say so (extra.shared_gpu).
    `timeout`: seconds per job (None: no limit). `grace_s`: SIGTERM-to-SIGKILL grace on timeout/cancel."""

    solutions: tuple[str, ...]
    images: tuple[Path, ...] = ()
    audios: tuple[Path, ...] = ()
    text: str | None = None
    tts: str = "piper"
    voice: str | None = None
    repeat: int = 1
    warmup: bool = False
    gpus: tuple[int, ...] | None = None
    timeout: float | None = None
    grace_s: float = 10.0
    duration_tolerance_s: float | None = None  # None: 0.5 s + 5% of the audio
    pack: bool = False
    score: bool = True  # score each video on the CPU as it lands (thtui.core.scores.pipeline)
    # The papers' protocol (thtui.core.reference_inputs): each reference video is one case, its first frame
    # with a face the portrait and its own audio the speech; every result is scored against it.
    references: tuple[Path, ...] = ()
    cluster: str | None = None  # a Ray address: each job runs on a node that has it (thtui.core.cluster)
    # The user's own videos as sources instead of `images` (one or the other): systems that redraw a video's
    # mouth take the video, portrait systems its first frame (thtui.core.jobs.run_inputs).
    videos: tuple[Path, ...] = ()
    prompt: str | None = None  # overrides infer.prompt of every solution that uses prompts

    def __post_init__(self) -> None:
        object.__setattr__(self, "solutions", tuple(dict.fromkeys(self.solutions)))
        object.__setattr__(self, "images", tuple(Path(p) for p in self.images))
        object.__setattr__(self, "audios", tuple(Path(p) for p in self.audios))
        object.__setattr__(self, "references", tuple(Path(p) for p in self.references))
        object.__setattr__(self, "videos", tuple(Path(p) for p in self.videos))
        if self.gpus is not None:
            object.__setattr__(self, "gpus", tuple(int(g) for g in self.gpus))
        if not self.solutions:
            raise RunError("give at least one solution")
        if self.images and self.videos:
            raise RunError("give --image (portraits) or --video (your own videos), not both")
        if self.references:
            from thtui.core.reference_inputs import spec_conflict

            if problem := spec_conflict(self):
                raise RunError(problem)
        elif not self.images and not self.videos:
            raise RunError("give at least one --image (or --video)")
        if self.prompt is not None:
            from thtui.core.catalog.schema import check_prompt

            try:
                check_prompt(self.prompt)
            except ValueError as exc:
                raise RunError(f"--prompt: {exc}") from None
        if not self.audios and self.text is not None and not self.text.strip():
            raise RunError("text is empty: give the words to speak")  # as `thtui say ""` says
        if not self.references and bool(self.audios) == bool(self.text and self.text.strip()):
            raise RunError("give either --audio (one or more) or --text, not both and not neither")
        if self.repeat < 1:
            raise RunError("--repeat must be at least 1")
        if self.timeout is not None and self.timeout <= 0:
            raise RunError("--timeout must be positive")
        if self.cluster and (self.pack or self.gpus is not None):  # Ray places the jobs on the nodes' GPUs
            flag = "--pack" if self.pack else "--gpus"
            raise RunError(f"--cluster does not combine with {flag} (Ray picks each job's node and GPU)")

    def to_json(self) -> dict[str, Any]:
        return {
            "solutions": list(self.solutions),
            "images": [str(p.resolve()) for p in self.images],
            "audios": [str(p.resolve()) for p in self.audios],
            "text": self.text,
            "tts": self.tts if self.text else None,
            "voice": self.voice,
            "repeat": self.repeat,
            "warmup": self.warmup,
            "gpus": list(self.gpus) if self.gpus is not None else None,
            "timeout": self.timeout,
            "grace_s": self.grace_s,
            "duration_tolerance_s": self.duration_tolerance_s,
            "pack": self.pack,
            "score": self.score,
            "cluster": self.cluster,
            "videos": [str(p.resolve()) for p in self.videos],
            "prompt": self.prompt,
            "references": [str(p.resolve()) for p in self.references],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSpec:
        return cls(
            solutions=tuple(data["solutions"]),
            images=tuple(Path(p) for p in data["images"]),
            audios=tuple(Path(p) for p in data.get("audios") or ()),
            text=data.get("text"),
            tts=data.get("tts") or "piper",
            voice=data.get("voice"),
            repeat=int(data.get("repeat", 1)),
            warmup=bool(data.get("warmup", False)),
            gpus=tuple(data["gpus"]) if data.get("gpus") is not None else None,
            timeout=data.get("timeout"),
            grace_s=float(data.get("grace_s", 10.0)),
            duration_tolerance_s=data.get("duration_tolerance_s"),
            pack=bool(data.get("pack", False)),  # run.json from before packing existed: no packing
            score=bool(data.get("score", True)),
            cluster=data.get("cluster"),
            videos=tuple(Path(p) for p in data.get("videos") or ()),
            prompt=data.get("prompt"),
            references=tuple(Path(p) for p in data.get("references") or ()),
        )


@dataclass(frozen=True)
class JobResult:
    job: JobInfo
    status: str  # "ok" | "failed" | "cancelled" | "pending" (never started: the run was interrupted)
    metrics: JobMetrics | None
    result_path: str | None  # job_dir/result.mp4 when the job succeeded


@dataclass(frozen=True)
class RunResult:
    run_id: str
    run_dir: str
    status: str  # "done" (every job ok) | "failed" (some job failed) | "interrupted"
    jobs: tuple[JobResult, ...]
    skipped: tuple[str, ...] = ()  # finished in an earlier session (their results are in `jobs` too)
    tts: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "done"

    def summary(self) -> dict[tuple[str, int], dict[str, Stats]]:
        """(solution, case index) -> metric -> mean ± σ, min/max over timed successful repeats."""
        groups: dict[tuple[str, int], list[JobMetrics]] = {}
        for j in self.jobs:
            if j.metrics is not None:
                groups.setdefault((j.job.solution, j.job.case_index), []).append(j.metrics)
        return {key: aggregate(ms) for key, ms in groups.items()}
