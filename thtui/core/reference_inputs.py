"""The papers' protocol (`thtui run --reference VIDEO|DIR`): each reference video is one case whose portrait is
its first frame with a face and whose speech is its own audio track; every result is scored against it.

- `expand_references` turns the user's paths into videos (a folder: its videos, sorted by name);
- `check_reference` refuses, in one sentence naming the file, what cannot be a case (not a video, no audio
  track, under a second, no face in its first seconds) — called by the run's preflight, so nothing is
  written for a bad reference;
- `derive_reference_inputs` writes each case's portrait (PNG, at the video's own resolution) and speech
  (mono 16-bit WAV at the track's own rate) once under `outputs/<run>/_inputs/<k>-<name>/`, and run.json
  records them; a resumed run finds them there and writes nothing again.

Time alignment when scoring (thtui.core.scores.reference): the generated video and its reference are both
resampled to 25 fps with the `fps` filter and compared frame i against frame i from t = 0, over the shorter
of the two (a generated video may be shorter or longer, or at another frame rate); the reference is scaled
to the generated video's size. Both start at the speech's t = 0, since the whole audio track drives the
system even when the portrait is a later frame (a reference whose first frames show no face).
"""

from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thtui.core.input_formats import VIDEO_SUFFIXES
from thtui.core.media.errors import InputError

INPUTS_DIR = (
    "_inputs"  # under the run dir, beside _prepared/; never a solution name (those start with a letter)
)
PORTRAIT_NAME = "portrait.png"
SPEECH_NAME = "speech.wav"
FACE_SEARCH_S = 5.0  # the portrait is the first frame with a face within this many seconds
MIN_SECONDS = 1.0
WHY = "the papers' protocol takes each reference's first frame with a face as the portrait and its own audio"


@dataclass(frozen=True)
class ReferenceCheck:
    path: Path
    duration_s: float
    fps: float | None
    width: int
    height: int
    frame_index: int  # the first decoded frame with a face
    frame_time_s: float


def spec_conflict(spec: Any) -> str | None:
    """Why a RunSpec with references also names other inputs, or None."""
    given = [
        flag
        for flag, value in (
            ("--image", spec.images),
            ("--audio", spec.audios),
            ("--text", spec.text),
            ("--video", getattr(spec, "videos", ())),
        )
        if value
    ]
    if not given:
        return None
    return (
        f"--reference cannot be combined with {'/'.join(given)}: {WHY} "
        "(give --reference alone, or --image with --audio/--text)"
    )


def expand_references(paths: list[Path] | tuple[Path, ...]) -> list[Path]:
    """Files as given; a folder becomes its videos (VIDEO_SUFFIXES), sorted by name. InputError for an empty
    folder or a path that does not exist."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_dir():
            videos = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in VIDEO_SUFFIXES)
            if not videos:
                kinds = ", ".join(sorted(VIDEO_SUFFIXES))
                raise InputError(
                    f"reference folder {p} holds no video ({kinds})", kind="reference", code="empty", path=p
                )
            out += [v.resolve() for v in videos]
        elif not p.exists():
            raise InputError(f"reference video not found: {p}", kind="reference", code="not_found", path=p)
        else:
            out.append(p.resolve())
    return list(dict.fromkeys(out))


def check_reference(path: Path | str) -> ReferenceCheck:
    """A usable reference, or InputError in one sentence naming the file."""
    p = Path(path)
    try:
        stat = p.stat()
    except OSError:
        stat = None
    return _check(str(p.resolve()), stat.st_size if stat else -1, stat.st_mtime_ns if stat else -1)


@functools.lru_cache(maxsize=256)
def _check(path: str, size: int, mtime_ns: int) -> ReferenceCheck:
    """Cached by size and time: preflight checks a reference, then the run derives its inputs (same search)."""
    from thtui.core.media.errors import MediaError, check_file
    from thtui.core.media.probe import probe

    p = check_file(path, "reference video")
    try:
        info = probe(p)
    except MediaError as exc:
        raise InputError(
            f"reference {p} is not a video ffmpeg can read ({exc})", kind="reference", path=p
        ) from None
    if info.is_image or not info.has_video:
        what = "a still image" if info.is_image else f"not a video ({info.describe()})"
        raise InputError(f"reference {p} is {what}; {WHY}", kind="reference", code="not_video", path=p)
    if not info.has_audio:
        raise InputError(
            f"reference {p} has no audio track; {WHY}", kind="reference", code="no_audio", path=p
        )
    duration = info.duration_s or 0.0
    if duration < MIN_SECONDS:
        raise InputError(
            f"reference {p} lasts {duration:.2f} s; a reference needs at least {MIN_SECONDS:g} s",
            kind="reference",
            code="too_short",
            path=p,
        )
    from thtui.core.inputs import validate_audio

    try:  # the same checks as any --audio (silent, too long, corrupt): it becomes every system's speech
        validate_audio(p)
    except InputError as exc:
        raise InputError(
            f"reference {p} has unusable audio: {exc}", kind="reference", code=exc.code, path=p
        ) from None
    found = _first_face(p, info.video.fps if info.video else None)
    if found is None:
        raise InputError(
            f"reference {p}: no face found in its first {FACE_SEARCH_S:g} s; {WHY}",
            kind="reference",
            code="no_face",
            path=p,
        )
    index, rgb = found
    fps = info.video.fps if info.video else None
    height, width = rgb.shape[:2]
    return ReferenceCheck(p, duration, fps, width, height, index, round(index / fps, 3) if fps else 0.0)


def _frames(path: Path, fps: float | None):
    """(index, RGB frame) at the video's own resolution, in order, over the first FACE_SEARCH_S seconds.
    The first frame comes as a PNG (it carries the displayed size, rotation applied); the rest as raw RGB."""
    import numpy as np
    from PIL import Image

    from thtui.core.media.ffmpeg_exec import ff_path, ffmpeg_exe

    base = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-i",
        ff_path(path),
        "-map",
        "0:v:0",
    ]
    png = subprocess.run(
        [*base, "-frames:v", "1", "-f", "image2pipe", "-vcodec", "png", "pipe:"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    ).stdout
    if not png:
        return
    import io

    first = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    yield 0, first
    height, width = first.shape[:2]
    limit = max(1, int(FACE_SEARCH_S * (fps or 25)))
    argv = [
        *base,
        "-frames:v",
        str(limit),
        "-vf",
        f"scale={width}:{height}",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "pipe:",
    ]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    size = width * height * 3
    try:
        index = 0
        while (buf := proc.stdout.read(size)) and len(buf) == size:
            if index > 0:  # frame 0 was checked from the PNG
                yield index, np.frombuffer(buf, dtype=np.uint8).reshape(height, width, 3)
            index += 1
    finally:
        proc.stdout.close()
        proc.kill()
        proc.wait()


def _first_face(path: Path, fps: float | None):
    from thtui.core.faces import best_face

    for index, rgb in _frames(path, fps):
        if best_face(rgb) is not None:
            return index, rgb
    return None


def _stem(path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", path.stem)[:24].strip("_") or "x"


def case_dir(run_dir: Path, index: int, reference: Path) -> Path:
    return Path(run_dir) / INPUTS_DIR / f"{index}-{_stem(Path(reference))}"


def case_inputs(run_dir: Path, references: tuple[Path, ...]) -> list[tuple[Path, Path, Path]]:
    """(reference, portrait, speech) per case, in order: where the run writes them (known before it does)."""
    out = []
    for k, ref in enumerate(references):
        d = case_dir(Path(run_dir).resolve(), k, ref)
        out.append((Path(ref).resolve(), d / PORTRAIT_NAME, d / SPEECH_NAME))
    return out


def derive_reference_inputs(run_dir: Path, references: tuple[Path, ...]) -> list[dict[str, Any]]:
    """Write each case's portrait and speech (once: kept on resume) and return run.json's records."""
    from PIL import Image

    from thtui.core.media import normalize_audio, probe

    records = []
    for ref, portrait, speech in case_inputs(run_dir, references):
        chk = check_reference(ref)
        if not portrait.is_file():
            portrait.parent.mkdir(parents=True, exist_ok=True)
            frame = next(rgb for i, rgb in _frames(ref, chk.fps) if i == chk.frame_index)
            tmp = portrait.with_name(f".{portrait.name}.partial")
            Image.fromarray(frame).save(tmp, format="PNG")
            tmp.replace(portrait)
        if not speech.is_file():
            track = probe(ref).audio
            normalize_audio(ref, speech, rate=(track.sample_rate if track else None) or 16000, channels=1)
        records.append(
            {
                "video": str(ref),
                "portrait": str(portrait),
                "audio": str(speech),
                "frame_index": chk.frame_index,
                "frame_time_s": chk.frame_time_s,
                "width": chk.width,
                "height": chk.height,
                "fps": chk.fps,
                "duration_s": chk.duration_s,
            }
        )
    return records


def reference_for(
    run_data: dict[str, Any] | None, run_dir: Path | str, image: str | Path | None
) -> str | None:
    """The reference video of the case whose derived portrait is `image`, from run.json's data, or None
    (a run without references)."""
    if not run_data or image is None:
        return None
    refs = (run_data.get("spec") or {}).get("references") or []
    for rec in (run_data.get("inputs") or {}).get("references") or []:
        if isinstance(rec, dict) and str(rec.get("portrait")) == str(image):
            return rec.get("video")
    # run.json from before the inputs were derived: the paths are known from the run dir
    for ref, portrait, _ in case_inputs(Path(run_dir), tuple(Path(r) for r in refs)):
        if str(portrait) == str(image):
            return str(ref)
    return None


def prepare_run_references(
    files: Any, run_id: str, references: tuple[Path, ...], sink: Any
) -> tuple[Path, ...]:
    """For the scheduler: derive (or find, on resume) every case's portrait and speech, record them in
    run.json's inputs, and return the speech files in case order."""
    from thtui.core.jobs.events import RunStage

    sink(RunStage(run_id, "inputs", f"reference videos: taking the portrait and speech of {len(references)}"))
    try:
        records = derive_reference_inputs(files.run_dir, references)
    except (InputError, OSError) as exc:  # changed since preflight, or a full disk: nothing has run
        from thtui.core.jobs.spec import RunError

        raise RunError(str(exc)) from None
    files.update(
        inputs={
            **files.data["inputs"],
            "references": records,
            "images": [r["portrait"] for r in records],
            "audios": [r["audio"] for r in records],
            "image": records[0]["portrait"],
            "audio": records[0]["audio"],
            "audio_provenance": "natural: each reference video's own audio track",
        }
    )
    for r in records:
        sink(RunStage(run_id, "inputs", f"{Path(r['video']).name}: portrait = frame {r['frame_index']} "
                      f"({r['width']}x{r['height']}), speech = its audio track ({r['duration_s']:.2f} s)"))  # fmt: skip
    return tuple(Path(r["audio"]) for r in records)
