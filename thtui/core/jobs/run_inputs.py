"""What a run does with `--video` and `--prompt` before its jobs (thtui.core.jobs.scheduler calls `prepare_sources`,
the CLI's --dry-run calls the notes too).

A video source: systems that redraw a video's mouth (inputs.still_video: Wav2Lip, MuseTalk, LatentSync) take the
video itself; systems that animate a still portrait get its first frame, written once per video under
outputs/<run>/_prepared/_sources/, rather than being refused: one run then compares every chosen system on the
user's own footage, and the line below says which systems got a frame. The first frame, not the middle one:
a recording usually starts on a still, closed-mouth face, which is what a portrait system wants to animate.
"""

from __future__ import annotations

from pathlib import Path

from thtui.core.catalog import Catalog
from thtui.core.catalog.schema import uses_prompt
from thtui.core.events import EventSink
from thtui.core.jobs.events import RunStage
from thtui.core.jobs.matrix import source_frame
from thtui.core.jobs.spec import RunError, RunSpec


def _chosen(spec: RunSpec, catalog: Catalog) -> list:
    return [catalog.get(n) for n in spec.solutions if n in catalog]


def prompt_warning(spec: RunSpec, catalog: Catalog) -> str | None:
    """--prompt given, but no chosen system takes a prompt: it would be silently ignored."""
    chosen = _chosen(spec, catalog)
    if spec.prompt is None or any(uses_prompt(s.solution) for s in chosen):
        return None
    takers = [s.name for s in catalog if uses_prompt(s.solution)]
    which = f" (systems with prompts: {', '.join(takers)})" if takers else ""
    return f"--prompt is ignored: none of {', '.join(spec.solutions)} takes a text prompt{which}"


def frame_note(spec: RunSpec, catalog: Catalog) -> str | None:
    """Which chosen systems animate a portrait and so get the first frame of each video instead of the video."""
    from thtui.core.inputs_video import takes_video

    if not spec.videos:
        return None
    portrait = [s.name for s in _chosen(spec, catalog) if not takes_video(s.solution)]
    if not portrait:
        return None
    return (
        f"{', '.join(portrait)} animate{'s' if len(portrait) == 1 else ''} a still portrait: "
        "given the first frame of each video, not the video"
    )


def prepare_sources(spec: RunSpec, catalog: Catalog, run_dir: Path, run_id: str, sink: EventSink) -> None:
    """Say the notes above, and write each video's first frame (kept across a resume; rewritten if removed)."""
    warning = prompt_warning(spec, catalog)
    if warning:
        sink(RunStage(run_id, "inputs", warning, level="warning"))
    note = frame_note(spec, catalog)
    if note:
        sink(RunStage(run_id, "inputs", note))
    from thtui.core.media import MediaError, thumbnail

    for n, video in enumerate(spec.videos):
        dest = source_frame(run_dir, n, video)
        if dest.is_file():
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            thumbnail(Path(video).resolve(), dest, at_s=0.0)
        except MediaError as exc:  # preflight read it; it changed since, or ffmpeg cannot decode its frames
            raise RunError(f"video {video}: cannot take its first frame ({exc})") from exc


def retry_sources(run_dir: Path | str, job_id: str, image: str) -> dict[str, tuple[Path, ...]]:
    """RunSpec source arguments for running one job of `run_dir` again (the Results screen's retry): the user's
    video the job came from (run.json's job entry), else its image. Without run.json: the image."""
    from thtui.core.jobs.records import read_run_json

    entry = next(
        (e for e in (read_run_json(Path(run_dir)) or {}).get("jobs", []) if e.get("job_id") == job_id), {}
    )
    video = entry.get("video")
    return {"videos": (Path(video),)} if video else {"images": (Path(image),)}
