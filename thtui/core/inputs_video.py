"""The user's own video as the source of a system that redraws the mouth of a video (MuseTalk, LatentSync:
manifests with `inputs.still_video`), instead of the still video thtui makes from the portrait.

Planning (`video_inputs`, called by thtui.core.plan.build_plan) replaces the plan's image and still-video
inputs: the image becomes a frame from the middle of the video (what the face check looks at), and the video
is re-encoded where the still video would go, so the manifest's argv is the same either way.
Preparation (`prepare_video_inputs`) validates the video before anything is written, then writes all three.

The re-encode drops the video's own audio: upstream muxes are `ffmpeg -i speech -i video OUT` with ffmpeg's
default stream selection, which may pick the video's soundtrack over the speech.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from thtui.core.catalog import LoadedSolution
from thtui.core.catalog.schema import Solution
from thtui.core.events import EventSink, discard
from thtui.core.plan import InferencePlan, PreparedInput

FRAME_NAME = "video_frame.png"  # the extracted middle frame, beside the prepared inputs
MIN_SECONDS = 0.2  # shorter than a few frames: nothing to redraw


def takes_video(sol: Solution) -> bool:
    return sol.inputs.still_video


def video_inputs(
    sol: Solution, video: Path, values: dict[str, str], audio: PreparedInput
) -> list[PreparedInput]:
    """The plan's inputs when `video` replaces the portrait. Raises ValueError for a system without video input."""
    if not takes_video(sol):
        raise ValueError(
            f"{sol.name} animates a still portrait and takes no video; give --image instead "
            "(a video works for systems that redraw a video's mouth, e.g. musetalk, latentsync)"
        )
    src = str(Path(video).resolve())
    fps = sol.inputs.fps
    image = PreparedInput(
        "image",
        src,
        values["image"],
        ["take the frame in the middle of the video", "check it like a portrait"],
    )
    steps = [f"re-encode to h264 yuv420p at {fps} fps, even size", "drop the video's own audio track"]
    return [image, audio, PreparedInput("video", src, values["still_video"], steps)]


def check_video(path: Path | str) -> float:
    """The video's duration in seconds; InputError when it is missing, not a video or too short."""
    from thtui.core.media import InputError, MediaError, probe

    p = Path(path)
    if not p.is_file():
        raise InputError(f"video {p}: not found (or not a file)", kind="video", code="not_found", path=p)
    try:
        info = probe(p)
    except MediaError as exc:
        raise InputError(f"video {p}: ffmpeg cannot read it ({exc})", kind="video", path=p) from exc
    if not info.has_video:
        raise InputError(f"video {p}: has no video stream ({info.describe()})", kind="video", path=p)
    if not info.duration_s or info.duration_s < MIN_SECONDS:
        raise InputError(f"video {p}: too short ({info.describe()})", kind="video", code="too_short", path=p)
    return info.duration_s


def reencode_video(src: Path | str, dest: Path | str, fps: int) -> Path:
    """h264 yuv420p at `fps`, even size, no audio; written atomically."""
    import ffmpeg as ffmpeg_python

    from thtui.core.media import atomic_output, pick_encoder
    from thtui.core.media.ffmpeg_exec import ff_path, run_stream

    encoder = pick_encoder("libx264", "libopenh264", "h264")
    opts = {"preset": "veryfast", "crf": 18} if encoder == "libx264" else {"b:v": "4M"}
    video = (
        ffmpeg_python.input(ff_path(src))["v:0"]
        .filter("scale", "trunc(iw/2)*2", "trunc(ih/2)*2")
        .filter("format", "yuv420p")
    )
    with atomic_output(Path(dest)) as tmp:
        out = ffmpeg_python.output(video, ff_path(tmp), vcodec=encoder, r=fps, format="mp4", an=None, **opts)
        run_stream(out, what=f"re-encoding {Path(src).name}")
    return Path(dest)


def prepare_video_inputs(
    plan: InferencePlan,
    loaded: LoadedSolution,
    *,
    sink: EventSink = discard,
    max_audio_seconds: float | None = None,
) -> list:
    """Validate the video, extract its middle frame, prepare image + audio as usual (face check included),
    then write the re-encoded video. Returns thtui.core.inputs.PreparedFile items, the video last."""
    from thtui.core.inputs import PreparedFile, prepare_inputs
    from thtui.core.media import thumbnail

    by_kind = {item.kind: item for item in plan.inputs}
    video = by_kind["video"]
    duration = check_video(video.source)
    frame = Path(by_kind["image"].dest).parent / FRAME_NAME
    frame.parent.mkdir(parents=True, exist_ok=True)
    thumbnail(video.source, frame, at_s=duration / 2)
    still_plan = dataclasses.replace(
        plan, inputs=[dataclasses.replace(by_kind["image"], source=str(frame)), by_kind["audio"]]
    )
    out = prepare_inputs(still_plan, loaded, sink=sink, max_audio_seconds=max_audio_seconds)
    reencode_video(video.source, video.dest, loaded.solution.inputs.fps)
    steps = [
        f"re-encoded {duration:.2f} s to h264 yuv420p at {loaded.solution.inputs.fps} fps",
        "dropped its audio track",
    ]
    out.append(PreparedFile("video", video.source, video.dest, steps, {"duration_s": duration}))
    return out


def check_video_for(
    loaded: LoadedSolution, video: Path | str, audio: Path | str, workdir: Path
) -> tuple[float, object]:
    """check-inputs for a video source: the video is readable, the system takes one, and its middle frame and the
    audio pass the system's own checks (face included). Returns (video seconds, ImageInfo of the frame)."""
    from thtui.core.inputs import InputError, check_inputs
    from thtui.core.media import thumbnail

    if not takes_video(loaded.solution):
        raise InputError(
            f"{loaded.name} animates a still portrait and takes no video; give --image instead", kind="video"
        )
    duration = check_video(video)
    workdir.mkdir(parents=True, exist_ok=True)
    frame = thumbnail(video, workdir / FRAME_NAME, at_s=duration / 2)
    image_info, _ = check_inputs(loaded, frame, audio)
    return duration, image_info
