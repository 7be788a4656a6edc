"""The Run screen's form as plain data: parse and check what the user typed, and build a RunSpec.

No Textual here, so every rule is unit-testable; file checks call thtui.core.inputs (they read the files,
so the screen calls `check_files` from a worker)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from thtui.core.config import repo_root

IMAGE_GLOBS = ("*.png", "*.jpg", "*.jpeg", "*.webp")
AUDIO_GLOBS = ("*.wav", "*.mp3", "*.flac")


@dataclass
class FormValues:
    mode: str = "audio"  # "audio" | "text" | "reference" (the papers' protocol: RunSpec.references)
    images: list[Path] = field(default_factory=list)
    audios: list[Path] = field(default_factory=list)
    text: str = ""
    tts: str = "piper"
    voice: str | None = None
    solutions: list[str] = field(default_factory=list)
    repeat: str = "1"
    gpus: str = "all"
    timeout: str = ""
    warmup: bool = False
    pack: bool = False
    score: bool = True  # score each video on the CPU as it lands (thtui.core.scores.pipeline)
    detach: bool = False  # run in a background `thtui run` that outlives the TUI (thtui.tui.detached)
    videos: list[Path] = field(default_factory=list)  # your own videos instead of images (RunSpec.videos)
    prompt: str = ""  # overrides infer.prompt of the chosen systems that take one; "" keeps their defaults
    # Reference videos, or folders of them, as picked (expanded by the core's expand_references on Start).
    references: list[Path] = field(default_factory=list)
    cluster: str = ""  # a Ray head's address (RunSpec.cluster); "" runs on this box


def parse_gpus(text: str, gpu_count: int | None) -> tuple[int, ...] | None:
    """'all' or '' -> None (every GPU); '0,2' -> (0, 2). Raises ValueError with a user-facing message."""
    text = text.strip().lower()
    if text in ("", "all"):
        return None
    try:
        gpus = tuple(int(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        raise ValueError("GPUs: 'all' or indices like 0,1") from None
    if not gpus or any(g < 0 for g in gpus):
        raise ValueError("GPUs: 'all' or indices like 0,1")
    if gpu_count is not None and gpu_count > 0 and any(g >= gpu_count for g in gpus):
        raise ValueError(f"GPUs: this machine has GPU 0..{gpu_count - 1}")
    return tuple(dict.fromkeys(gpus))


CLUSTER_SYNTAX = "cluster: HOST:PORT of the Ray head (e.g. 10.0.0.5:6379), or empty for this box"


def cluster_address_problem(text: str) -> str | None:
    """Syntax only (reaching the cluster is slow: the screen does that in a worker when the run starts).
    Ray's `auto` (the cluster this machine joined) and `ray://HOST:PORT` are accepted as the CLI does."""
    text = text.strip()
    if not text or text == "auto":
        return None
    host, sep, port = text.removeprefix("ray://").rpartition(":")
    bad_host = not host or any(c.isspace() or c in "/?#@" for c in host)
    if not sep or bad_host or not port.isdigit() or not 0 < int(port) < 65536:
        return CLUSTER_SYNTAX
    return None


def _check_sources(values: FormValues, errors: dict[str, str]) -> None:
    if values.mode == "reference":  # each reference gives its case's portrait and speech
        if not values.references:
            errors["references"] = "choose a reference video, or a folder of them"
        return
    if values.images and values.videos:  # the screen clears one when the other is picked; a caller may not
        errors["videos"] = "a run takes images or videos, not both: clear one"
    elif not values.images and not values.videos:
        errors["images"] = "choose at least one image (or a video below)"
    if values.mode == "audio" and not values.audios:
        errors["audios"] = "choose at least one audio file (or switch to text)"
    if values.mode == "text":
        if not values.text.strip():
            errors["text"] = "type the words to speak"
        if not values.tts:
            errors["tts"] = "choose a TTS backend"


def _check_cluster(values: FormValues, errors: dict[str, str]) -> None:
    if not values.cluster.strip():
        return
    if problem := cluster_address_problem(values.cluster):
        errors["cluster"] = problem
    elif values.pack:  # RunSpec refuses these too; said here in the form's words
        errors["cluster"] = "cluster: untick 'pack jobs per GPU' (Ray picks each job's node and GPU)"
    elif values.gpus.strip().lower() not in ("", "all"):
        errors["cluster"] = "cluster: set GPUs to 'all' (Ray picks each job's node and GPU)"


def check_form(values: FormValues, ready: set[str], gpu_count: int | None) -> dict[str, str]:
    """field -> problem, for everything that can be checked without reading files."""
    errors: dict[str, str] = {}
    _check_sources(values, errors)
    if values.prompt:  # "" keeps each system's default; blank or overlong text is refused like --prompt
        from thtui.core.catalog.schema import check_prompt

        try:
            check_prompt(values.prompt)
        except ValueError as exc:
            errors["prompt"] = f"prompt: {exc} (leave it empty for the default)"
    if not values.solutions:
        errors["solutions"] = "select at least one ready solution"
    elif not values.cluster.strip() and (not_ready := [s for s in values.solutions if s not in ready]):
        # (a cluster run: the nodes' installs count, which Start checks when it reaches the cluster)
        errors["solutions"] = f"not ready: {', '.join(not_ready)}"
    try:
        if int(values.repeat) < 1:
            raise ValueError
    except ValueError:
        errors["repeat"] = "repeat: a whole number ≥ 1"
    try:
        parse_gpus(values.gpus, gpu_count)
    except ValueError as exc:
        errors["gpus"] = str(exc)
    if values.timeout.strip():
        try:
            if float(values.timeout) <= 0:
                raise ValueError
        except ValueError:
            errors["timeout"] = "timeout: seconds > 0, or empty for none"
    _check_cluster(values, errors)
    return errors


# The widget that fixes each field's problem (the Run screen focuses the first one after a failed Start).
FIELD_WIDGETS = {"images": "#pick-images", "videos": "#pick-videos", "audios": "#pick-audio", "text": "#text",
                 "references": "#pick-references", "tts": "#tts", "prompt": "#prompt", "solutions": "#solutions",
                 "repeat": "#repeat", "gpus": "#gpus", "timeout": "#timeout", "cluster": "#cluster"}  # fmt: skip
SOURCE_FILES = ("images", "videos", "audios", "references")  # the fields whose files a worker reads


def form_problems(
    values: FormValues, ready: set[str], gpu_count: int | None, file_errors: dict[str, str]
) -> dict[str, str]:
    """Everything Start would refuse: the form's own checks plus the last file checks of the files this mode
    uses (audio files do not count in text mode; only the references count in reference mode)."""
    errors = check_form(values, ready, gpu_count)
    for key in SOURCE_FILES:
        if key in file_errors and key in used_files(values.mode):
            errors.setdefault(key, file_errors[key])
    return errors


def used_files(mode: str) -> tuple[str, ...]:
    if mode == "reference":
        return ("references",)
    return ("images", "videos", "audios") if mode == "audio" else ("images", "videos")


def check_files(values: FormValues) -> dict[str, str]:
    """Read and validate every chosen image, video and audio (thtui.core.inputs, the video check of
    `thtui check-inputs --video`); field -> first problem. References: `check_references`."""
    from thtui.core.inputs import InputError, validate_audio, validate_image
    from thtui.core.inputs_video import check_video

    errors: dict[str, str] = {}
    for path in values.images:
        try:
            validate_image(Path(path))
        except InputError as exc:
            errors.setdefault("images", str(exc))
    for path in values.videos:
        try:
            check_video(Path(path))
        except InputError as exc:
            errors.setdefault("videos", str(exc))
    if values.mode == "audio":
        for path in values.audios:
            try:
                validate_audio(Path(path))
            except InputError as exc:
                errors.setdefault("audios", str(exc))
    return errors


def check_references(paths: list[Path]) -> str | None:
    """The first problem of the picked references, in the CLI's words: `thtui run --reference` expands and
    checks them with these same core functions (a folder: its videos; no audio, no face, not a video,
    under a second, an empty folder), or None when every one is usable. Slow (a face search): a worker's."""
    from thtui.core.media.errors import InputError, MediaError
    from thtui.core.reference_inputs import check_reference, expand_references

    try:
        for video in expand_references(paths):
            check_reference(video)
    except (InputError, MediaError) as exc:
        return str(exc)
    return None


def build_spec(values: FormValues, gpu_count: int | None):
    """The RunSpec of the form. Raises RunError (a rule of the spec) or InputError (a reference folder
    emptied since it was checked): the screen shows either as one line."""
    from thtui.core.jobs.spec import RunSpec

    text_mode = values.mode == "text"
    if values.mode == "reference":  # the papers' protocol: every other source stays empty (spec_conflict)
        from thtui.core.reference_inputs import expand_references

        return RunSpec(
            solutions=tuple(values.solutions),
            references=tuple(expand_references(values.references)),
            **_options(values, gpu_count),
        )
    return RunSpec(
        solutions=tuple(values.solutions),
        images=tuple(values.images),
        audios=() if text_mode else tuple(values.audios),
        text=values.text.strip() if text_mode else None,
        tts=values.tts,
        voice=values.voice if text_mode else None,
        videos=tuple(values.videos),
        **_options(values, gpu_count),
    )


def _options(values: FormValues, gpu_count: int | None) -> dict:
    cluster = None
    if values.cluster.strip():  # as `--cluster ADDRESS` (thtui.cli.cluster_cmd.with_cluster); no Ray import
        from thtui.core.cluster.connect import resolve_address

        cluster = resolve_address(values.cluster)
    return {
        "repeat": int(values.repeat),
        "warmup": values.warmup,
        "pack": values.pack,
        "score": values.score,
        "gpus": parse_gpus(values.gpus, gpu_count),
        "timeout": float(values.timeout) if values.timeout.strip() else None,
        "prompt": values.prompt or None,  # empty: each system's own default prompt
        "cluster": cluster,
    }


def prompt_takers(catalog, names: list[str]) -> list[tuple[str, str]]:
    """(name, default prompt) of the chosen systems that take a text prompt: the Run form shows its prompt
    field only when this is not empty."""
    from thtui.core.catalog.schema import uses_prompt

    chosen = [catalog.get(n).solution for n in names if n in catalog]
    return [(s.name, s.infer.prompt or "") for s in chosen if uses_prompt(s)]


def sample_inputs(assets: Path | None = None) -> tuple[Path | None, Path | None]:
    """The sample image and audio shipped in assets/ (files named *sample* win), or None."""
    assets = assets or repo_root() / "assets"

    def pick(globs: tuple[str, ...]) -> Path | None:
        found = sorted({p for g in globs for p in assets.glob(g)}) if assets.is_dir() else []
        samples = [p for p in found if "sample" in p.name.lower()]
        return (samples or found or [None])[0]

    return pick(IMAGE_GLOBS), pick(AUDIO_GLOBS)
