"""The user's own video as the source of a system that redraws the mouth of a video (Wav2Lip, MuseTalk, LatentSync:
manifests with `inputs.still_video`), instead of the still video thtui makes from the portrait.

Planning (`video_inputs`, called by thtui.core.plan.build_plan) replaces the plan's image and still-video
inputs: the image becomes a frame from the middle of the video (what the face check looks at), and the video
is re-encoded where the still video would go, so the manifest's argv is the same either way.
Preparation (`prepare_video_inputs`) validates the video before anything is written, then writes all three.

A system that animates a still portrait takes no video: it is given the video's first frame as its portrait
(a recording usually starts on a still, closed-mouth face), and `thtui run` says so (thtui.core.jobs.run_inputs).

The re-encode drops the video's own audio: upstream muxes are `ffmpeg -i speech -i video OUT` with ffmpeg's
default stream selection, which may pick the video's soundtrack over the speech.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from thtui.core.catalog import LoadedSolution
from thtui.core.catalog.schema import Solution
from thtui.core.events import EventSink, discard
from thtui.core.plan import InferencePlan, PreparedInput, describe_image

FRAME_NAME = "video_frame.png"  # the extracted middle frame, beside the prepared inputs
MIN_SECONDS = 0.2  # shorter than a few frames: nothing to redraw
# Wav2Lip, MuseTalk and LatentSync use the video's first frames for as long as the audio lasts (and loop a shorter
# one), but read and preprocess all of it: a long video is cut to the audio's length plus this margin, so a job's
# time and memory follow the speech, not the recording.
CUT_MARGIN_S = 0.5


VIDEO_NAME = "video.mp4"  # the re-encoded video for a system whose {image} takes it (one dot: Wav2Lip)


def takes_video(sol: Solution) -> bool:
    """Redraws a video's mouth: the user's video replaces the still video (MuseTalk, LatentSync) or the image
    argument itself (Wav2Lip)."""
    return sol.inputs.still_video or sol.inputs.image_takes_video


def video_inputs(
    sol: Solution, video: Path, values: dict[str, str], audio: PreparedInput
) -> list[PreparedInput]:
    """The plan's inputs when `video` replaces the portrait; a portrait system's image is its first frame."""
    src = str(Path(video).resolve())
    if not takes_video(sol):
        steps = [
            "take the first frame of the video (this system animates a still portrait)",
            *describe_image(sol),
        ]
        return [PreparedInput("image", src, values["image"], steps), audio]
    fps = sol.inputs.fps
    image = PreparedInput(
        "image",
        src,
        values["image"],
        ["take the frame in the middle of the video", "check it like a portrait"],
    )
    steps = [
        f"re-encode to h264 yuv420p at {fps} fps, even size",
        f"cut to the audio's length + {CUT_MARGIN_S:g} s (the system uses no more)",
        "drop the video's own audio track",
    ]
    dest = values["still_video"]
    if sol.inputs.image_takes_video:  # {image} in argv names the video; the frame stays for the face check
        dest = values["image"] = str(Path(values["job"]) / "inputs" / VIDEO_NAME)
    return [image, audio, PreparedInput("video", src, dest, steps)]


def check_video(path: Path | str) -> float:
    """The video's duration in seconds; InputError when it is missing, not a video or too short."""
    from thtui.core.input_formats import suffix_problem
    from thtui.core.media import InputError, MediaError, probe

    p = Path(path)
    if not p.is_file():
        raise InputError(f"video {p}: not found (or not a file)", kind="video", code="not_found", path=p)
    problem = suffix_problem(p, "video")
    if problem:  # as for images and audio: the TUI's picker offers exactly these
        raise InputError(f"{problem}; rename or convert it", kind="video", code="extension", path=p)
    try:
        info = probe(p)
    except MediaError as exc:
        raise InputError(f"video {p}: ffmpeg cannot read it ({exc})", kind="video", path=p) from exc
    if not info.has_video:
        raise InputError(f"video {p}: has no video stream ({info.describe()})", kind="video", path=p)
    if not info.duration_s or info.duration_s < MIN_SECONDS:
        raise InputError(f"video {p}: too short ({info.describe()})", kind="video", code="too_short", path=p)
    return info.duration_s


def reencode_video(src: Path | str, dest: Path | str, fps: int, max_seconds: float | None = None) -> Path:
    """h264 yuv420p at `fps`, even size, no audio, at most `max_seconds` long; written atomically."""
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
        if max_seconds is not None:
            opts["t"] = f"{max_seconds:.3f}"
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
    then write the re-encoded video. Returns thtui.core.inputs.PreparedFile items, the video last.
    A portrait system's plan (no "video" input) gets the first frame as its image, prepared like a portrait."""
    from thtui.core.inputs import PreparedFile, prepare_inputs
    from thtui.core.media import thumbnail

    by_kind = {item.kind: item for item in plan.inputs}
    video = by_kind.get("video")
    duration = check_video(video.source if video else by_kind["image"].source)
    frame = Path(by_kind["image"].dest).parent / FRAME_NAME
    frame.parent.mkdir(parents=True, exist_ok=True)
    thumbnail(by_kind["image"].source, frame, at_s=duration / 2 if video else 0.0)
    still_plan = dataclasses.replace(
        plan, inputs=[dataclasses.replace(by_kind["image"], source=str(frame)), by_kind["audio"]]
    )
    out = prepare_inputs(still_plan, loaded, sink=sink, max_audio_seconds=max_audio_seconds)
    if video is None:
        return out
    from thtui.core.media import probe
    from thtui.core.wav_header import wav_seconds

    prepared_audio = Path(by_kind["audio"].dest)
    audio_s = wav_seconds(prepared_audio) or probe(prepared_audio).duration_s
    keep = min(duration, audio_s + CUT_MARGIN_S) if audio_s else duration
    reencode_video(video.source, video.dest, loaded.solution.inputs.fps, keep if keep < duration else None)
    steps = [f"re-encoded to h264 yuv420p at {loaded.solution.inputs.fps} fps", "dropped its audio track"]
    if keep < duration:
        steps.insert(
            1, f"cut from {duration:.2f} s to {keep:.2f} s (the audio's length + {CUT_MARGIN_S:g} s)"
        )
    out.append(
        PreparedFile("video", video.source, video.dest, steps, {"duration_s": duration, "kept_s": keep})
    )
    return out


def check_video_for(
    loaded: LoadedSolution, video: Path | str, audio: Path | str, workdir: Path
) -> tuple[float, object]:
    """check-inputs for a video source: the video is readable, and the frame the system works from (the middle one
    for a system that takes the video, the first for a portrait system) and the audio pass the system's own checks
    (face included). Returns (video seconds, ImageInfo of the frame)."""
    from thtui.core.inputs import check_inputs
    from thtui.core.media import thumbnail

    duration = check_video(video)
    workdir.mkdir(parents=True, exist_ok=True)
    at_s = duration / 2 if takes_video(loaded.solution) else 0.0
    frame = thumbnail(video, workdir / FRAME_NAME, at_s=at_s)
    image_info, _ = check_inputs(loaded, frame, audio)
    return duration, image_info
