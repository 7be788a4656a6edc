"""score_video: one face pass over the video, shared by every score; bad input gives a partial result.

A missing face, missing audio, a video under a second or an unusable frame rate never raise: the scores
that cannot be computed are absent (None) and `missing` says why; `messages` tells the user in words.
Only an input that is not a video/picture at all raises InputError (one sentence naming the path).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thtui.core.events import Event, EventSink, discard
from thtui.core.scores.result import VideoScores

if TYPE_CHECKING:
    import numpy as np

SAMPLES = 30  # frames for the expensive per-frame scores (identity descriptor, sharpness, CPBD)
LIPSYNC_MIN_FRAMES = 37  # = lipsync.MIN_FRAMES: a +-12-frame lag search with 25 overlapping frames at each
LIPSYNC_MIN_S = LIPSYNC_MIN_FRAMES / 25  # 1.48 s
BLINK_MIN_S = 1.0

FACE_SCORES = (
    "face_gap_frames",
    "face_gap_s",
    "lipsync_offset_frames",
    "lipsync_offset_ms",
    "lipsync_corr",
    "lipsync_confidence",
    "identity_distance",
    "identity_distance_worst5",
    "head_roll_std_deg",
    "head_yaw_std_deg",
    "head_pitch_std_deg",
    "head_speed_deg_s",
    "head_frozen",
    "blinks_per_min",
    "blink_count",
    "sharpness",
    "sharpness_ratio",
    "cpbd",
    "jitter",
    "flicker",
    "lmd",
)
LIPSYNC = ("lipsync_offset_frames", "lipsync_offset_ms", "lipsync_corr", "lipsync_confidence")
TIMING = (*LIPSYNC, "blinks_per_min", "blink_count", "head_speed_deg_s", "jitter", "flicker")
HEAD = ("head_roll_std_deg", "head_yaw_std_deg", "head_pitch_std_deg", "head_speed_deg_s", "head_frozen")


@dataclass(frozen=True)
class ScoreProgress(Event):
    stage: str  # "portrait" | "frames" | "scores" | "reference"
    done: int = 0
    total: int | None = None


@dataclass
class _PortraitFace:
    descriptor: Any | None
    sharpness: float | None
    problem: str | None
    rgb: Any | None = None  # kept for CPBD, measured once the video's face size is known
    points: Any | None = None


def _portrait(path: Path) -> _PortraitFace:
    import numpy as np

    from thtui.core.faces import best_face
    from thtui.core.media.image import load_image
    from thtui.core.scores.appearance import descriptor, sharpness
    from thtui.core.scores.track import FaceTracker

    rgb = np.ascontiguousarray(np.asarray(load_image(path).convert("RGB")))
    face = best_face(rgb)
    if face is None:
        return _PortraitFace(None, None, f"no face found in the portrait {path.name}")
    b = face.box
    tracker = FaceTracker()
    pts, shape = tracker._start(rgb, (b.left, b.top, b.left + b.width, b.top + b.height))
    return _PortraitFace(descriptor(rgb, shape), sharpness(rgb, pts), None, rgb, pts)


def score_video(
    video: Path | str,
    portrait: Path | str,
    audio: Path | str | None = None,
    reference: Path | str | None = None,
    on_progress: EventSink | None = None,
) -> VideoScores:
    """Score `video` against the source `portrait`; loudness from `audio` (default: the video's own track).
    Raises InputError only when an input is not usable at all (not found, not a video / picture)."""
    from thtui.core.media.errors import check_file
    from thtui.core.media.image import load_image
    from thtui.core.scores.decode import open_video

    emit = on_progress or discard
    src = open_video(video)
    portrait_path = check_file(portrait, "image")
    load_image(portrait_path)  # InputError for a file that is no picture, before any decoding
    audio_path = (
        Path(check_file(audio, "audio")) if audio is not None else (src.path if src.has_audio else None)
    )
    ref_src = open_video(reference) if reference is not None else None

    scores = VideoScores(
        video=str(src.path),
        portrait=str(portrait_path),
        audio=str(audio_path) if audio_path else None,
        reference=str(ref_src.path) if ref_src else None,
        width=src.width,
        height=src.height,
    )
    emit(ScoreProgress("portrait"))
    face = _portrait(Path(portrait_path))
    if face.problem:
        scores.messages.append(face.problem)
        scores.mark_missing(("identity_distance", "identity_distance_worst5"), face.problem)
        scores.mark_missing(("sharpness_portrait", "sharpness_ratio", "cpbd_portrait"), face.problem)
    scores.sharpness_portrait = face.sharpness

    from thtui.core.scores.frame_pass import run_pass

    passed = run_pass(src, face.descriptor, SAMPLES, emit)
    emit(ScoreProgress("scores", passed.n, passed.n))
    _fill(scores, passed, src, audio_path, face)
    _portrait_cpbd(scores, passed, face)
    if ref_src is not None and passed.n:
        from thtui.core.scores.reference import compare

        emit(ScoreProgress("reference"))
        ref = compare(src, ref_src, passed.points)
        scores.psnr, scores.ssim, scores.lmd = ref.psnr, ref.ssim, ref.lmd
        scores.sampling["psnr/ssim"] = f"all {ref.frames} frame pairs (25 fps)"
        if ref.lmd is None:
            scores.mark_missing(("lmd",), "no frame where both videos show a face")
    elif ref_src is not None:
        scores.mark_missing(("psnr", "ssim", "lmd"), "no frames could be decoded from the video")
    return scores.finish()


def _portrait_cpbd(scores: VideoScores, p: Any, face: _PortraitFace) -> None:
    """The portrait's CPBD at its own resolution. Not resized to the video's face width: any resampling
    blurs edges by itself (on assets/portrait.jpg a 2 % downscale moved it 0.42 -> 0.30, a 0.5x one to
    0.32), which read as a video sharper than the frame it was made from."""
    import numpy as np

    from thtui.core.scores.appearance import face_cpbd, face_width

    if face.rgb is None or face.points is None:
        return
    how = f"portrait at its own resolution (face {face_width(face.points):.0f} px wide"
    if p.face_widths:
        how += f"; the video's median face {float(np.median(p.face_widths)):.0f} px"
    how += "): CPBD depends on scale; compare the two at similar face sizes"
    scores.cpbd_portrait = face_cpbd(face.rgb, face.points)
    scores.sampling["cpbd_portrait"] = how
    if scores.cpbd_portrait is None:
        scores.mark_missing(
            ("cpbd_portrait",),
            "no edge measured on the portrait's face (a flat face region, or a portrait under 64 px)",
        )


def _gap(has_face: np.ndarray) -> int:
    longest = run = 0
    for ok in has_face:
        run = 0 if ok else run + 1
        longest = max(longest, run)
    return longest


def _fill(scores: VideoScores, p: Any, src: Any, audio_path: Path | None, face: _PortraitFace) -> None:
    import numpy as np

    from thtui.core.scores import lipsync as ls
    from thtui.core.scores import motion

    fps = scores.fps
    n = p.n
    scores.frames = n
    scores.duration_s = round(n / fps, 3)
    if n == 0:
        reason = "no frames could be decoded from the video"
        scores.messages.append(reason)
        scores.mark_missing(("face_found", *FACE_SCORES), reason)
        return
    has_face = np.isfinite(p.points[:, 0, 0])
    scores.face_found = float(has_face.mean())
    gap = _gap(has_face)
    scores.face_gap_frames, scores.face_gap_s = gap, gap / fps
    if not has_face.any():
        reason = "no face found in any frame"
        scores.messages.append(f"{reason} of {Path(scores.video).name}")
        scores.mark_missing(FACE_SCORES, reason)
        return
    if scores.face_found < 0.5:
        scores.messages.append(f"a face was found in only {scores.face_found:.0%} of the frames")

    short = n < fps * BLINK_MIN_S
    if short:
        scores.messages.append(
            f"the video lasts {n / fps:.2f} s (< {BLINK_MIN_S:g} s): blinks, jitter and flicker are not computed"
        )
        scores.mark_missing(
            ("blinks_per_min", "blink_count"),
            f"the video is {n / fps:.2f} s: blinks need at least {BLINK_MIN_S:g} s (a rate per minute from "
            "less than a second means nothing)",
        )
        scores.mark_missing(
            ("jitter", "flicker"),
            f"the video is {n / fps:.2f} s: jitter and flicker are averaged over at least {BLINK_MIN_S:g} s",
        )
    bad_fps = src.source_fps is not None and src.source_fps < 10.0
    if src.source_fps is None:
        scores.messages.append("the video's frame rate is unknown: resampled to 25 fps as decoded")
    if bad_fps:
        why = f"source frame rate {src.source_fps:g} fps is below 10 fps: 25 fps frames would be duplicates"
        scores.messages.append(why)
        scores.mark_missing(TIMING, why)

    mouth = ls.mouth_opening(p.points)
    scores.series["mouth_open"] = [float(v) for v in mouth]
    if audio_path is None:
        why = "the video has no audio track (give --audio)"
        scores.messages.append(why)
        scores.mark_missing(LIPSYNC, why)
    elif n < LIPSYNC_MIN_FRAMES:
        scores.mark_missing(
            LIPSYNC,
            f"the video is {n / fps:.2f} s: lip-sync needs at least {LIPSYNC_MIN_S:.2f} s "
            f"({LIPSYNC_MIN_FRAMES} frames: lags ±{ls.MIN_LAG} with {ls.MIN_PAIRS} overlapping frames at each)",
        )
    elif not bad_fps:
        from thtui.core.scores.decode import load_audio

        samples = load_audio(audio_path)
        loud = ls.loudness_envelope(samples, 16000, n, fps)
        scores.series["loudness"] = [float(v) for v in loud]
        found = ls.lipsync(mouth, loud, fps)
        if isinstance(found, str):
            scores.messages.append(f"lip-sync: {found}")
            scores.mark_missing(LIPSYNC, found)
        else:
            scores.lipsync_offset_frames, scores.lipsync_offset_ms = found.offset_frames, found.offset_ms
            scores.lipsync_corr, scores.lipsync_confidence = found.corr, found.confidence
            scores.sampling["lipsync"] = f"lags -{found.max_lag}..+{found.max_lag} frames"
            if found.max_lag < ls.MAX_LAG:
                why = (
                    f"lip-sync searched lags ±{found.max_lag} only, not ±{ls.MAX_LAG}: fewer than "
                    f"{ls.MIN_PAIRS} frames with a face and audio overlap at larger lags (the video is "
                    f"{n / fps:.2f} s); its confidence is scaled by {found.max_lag}/{ls.MAX_LAG}"
                )
                scores.messages.append(why)
                scores.sampling["lipsync"] += f" (narrowed: confidence x {found.max_lag}/{ls.MAX_LAG})"

    head = motion.head_motion(p.points, src.width, src.height, fps)
    if head is not None:
        scores.head_roll_std_deg, scores.head_yaw_std_deg = head.roll_std, head.yaw_std
        scores.head_pitch_std_deg, scores.head_frozen = head.pitch_std, head.frozen
        scores.series["roll_deg"] = [float(v) for v in head.roll]
        if not bad_fps:
            scores.head_speed_deg_s = head.speed_deg_s
            scores.mark_missing(("head_speed_deg_s",), "no two neighbouring frames with a smoothed head pose")
    else:
        scores.mark_missing(HEAD, "a head pose was found on fewer than 2 frames: no spread to measure")
    if not short and not bad_fps:
        blinks = motion.count_blinks(motion.eye_aspect_ratio(p.points))
        scores.blink_count = blinks
        scores.blinks_per_min = blinks / (n / fps / 60)
        scores.jitter = motion.jitter(p.points)
        scores.mark_missing(("jitter",), "no three frames in a row with a face (jitter is a 2nd difference)")
        scores.flicker = float(np.mean(p.flicker)) if p.flicker else None
        scores.mark_missing(("flicker",), "no two frames in a row with a face")

    if p.sharpness:
        scores.sharpness = float(np.median(p.sharpness))
        if face.sharpness:
            scores.sharpness_ratio = scores.sharpness / face.sharpness
    else:
        scores.mark_missing(
            ("sharpness", "sharpness_ratio"), f"no face on the sampled frames (one every {p.every} of {n})"
        )
    scores.mark_missing(("sharpness_ratio",), "the portrait's face sharpness is zero or was not measured")
    if not face.sharpness:
        scores.mark_missing(("sharpness_portrait",), "the portrait's face sharpness could not be measured")
    if p.cpbd:
        scores.cpbd = float(np.mean(p.cpbd))
    elif not p.sampled:  # faces, but none on the frames sampled for sharpness/CPBD
        scores.mark_missing(("cpbd",), f"no face on the sampled frames (one every {p.every} of {n})")
    else:  # a face smaller than a tile is padded to one: None means no edges, or a frame under 64 px
        scores.mark_missing(
            ("cpbd",), "no edge measured on the sampled faces (a flat face region, or a frame under 64 px)"
        )
    if p.distances:
        d = np.sort(np.array(p.distances))
        scores.identity_distance = float(d.mean())
        worst = d[-max(1, math.ceil(len(d) * 0.05)) :]
        scores.identity_distance_worst5 = float(worst.mean())
        scores.series["identity_distance"] = [p.distance_at.get(i) for i in range(n)]
    else:
        scores.mark_missing(
            ("identity_distance", "identity_distance_worst5"),
            f"no face on the frames sampled for identity (one every {p.every * 3} of {n})",
        )
    scores.sampling["sharpness"] = f"{len(p.sampled)} frames with a face, one every {p.every} (of {n})"
    scores.sampling["cpbd"] = (
        f"{len(p.cpbd)} of the {len(p.sampled)} sharpness frames (face box grown to 64-px tiles, native size)"
    )
    scores.sampling["identity_distance"] = f"{len(p.distances)} frames with a face, one every {p.every * 3}"
