"""Turn a manifest plus user inputs into the exact command inference would run. Pure: no side effects.

The runner executes a plan; `thtui plan` prints one. Keeping both on the same object means what the
user inspects is exactly what runs.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from thtui.core.catalog.loader import LoadedSolution
from thtui.core.catalog.schema import Solution, check_prompt, uses_prompt
from thtui.core.config import Settings
from thtui.core.wording import plural

# Upstream scripts build ffmpeg command lines by string concatenation (unquoted) and decide file types by
# the text after the first dot (Wav2Lip). Paths we hand them stay inside this alphabet, one dot at most.
# No '+': LiveAvatar reads a '+' anywhere in its audio path as "several speakers" (multi-person mode).
_SAFE_DIR = re.compile(r"^[A-Za-z0-9_/-]+$")


def new_run_id(now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now or time.time()))
    return f"{stamp}-{secrets.token_hex(2)}"


def is_safe_dir(path: Path) -> bool:
    return bool(_SAFE_DIR.match(str(path)))


def scratch_dir(job_dir: Path, run_id: str, solution: str) -> Path:
    """Where prepared inputs and the raw upstream output live: the job dir itself when its path is
    shell- and dot-safe, else a safe directory under the system temp dir."""
    if is_safe_dir(job_dir):
        return job_dir
    base = Path(tempfile.gettempdir())
    if not is_safe_dir(base):
        base = Path("/tmp")
    return base / f"thtui-{os.getuid() if hasattr(os, 'getuid') else 'u'}" / f"{run_id}_{solution}"


@dataclass(frozen=True)
class PreparedInput:
    kind: str  # "image" | "audio" | "still_video"
    source: str  # the user's file (never modified)
    dest: str  # what the upstream script reads
    steps: list[str]


@dataclass(frozen=True)
class PlannedFile:
    path: str
    content: str


@dataclass(frozen=True)
class InferencePlan:
    solution: str
    run_id: str
    job_dir: str  # outputs/<run-id>/<solution>: result.mp4, log.txt, metrics.json land here
    scratch: str  # {job}: prepared inputs + upstream output
    cwd: str
    argv: list[str]
    env: dict[str, str]  # variables set on top of the inherited environment
    path_prepend: list[str]  # put before the inherited PATH
    mkdirs: list[str]
    files: list[PlannedFile]
    inputs: list[PreparedInput]
    output_path: str | None
    output_glob: str | None
    exclusive_cwd: bool
    values: dict[str, str] = field(default_factory=dict)  # placeholder -> value, for display

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def full_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The child's complete environment: `base` (default: ours) + env + PATH prefix."""
        env = dict(os.environ if base is None else base)
        env.update(self.env)
        env["PATH"] = os.pathsep.join([*self.path_prepend, env.get("PATH", "")])
        return env


def env_prefix(settings: Settings, name: str) -> Path:
    return settings.envs_dir / name


def repo_dir(settings: Settings, name: str) -> Path:
    return settings.repos_dir / name


def env_python(settings: Settings, name: str) -> Path:
    return env_prefix(settings, name) / "bin" / "python"


def tools_bin(settings: Settings) -> Path:
    """Directory of shims put first on every job's PATH (e.g. `ffmpeg` -> bundled imageio-ffmpeg binary)."""
    return settings.data_root / "bin"


def describe_image(sol: Solution) -> list[str]:
    img = sol.inputs.image
    steps = ["apply EXIF orientation", "convert to RGB"]
    if img.crop == "face":
        steps.append("detect the largest face and crop a square around the head")
    elif img.crop == "center":
        steps.append("crop the centred square")
    steps.append(f"resize to {img.size}x{img.size}" if img.size else "round size down to even width/height")
    steps.append(f"save as {img.format.upper()}")
    if img.face_required:
        steps.append("refuse if no face is found")
    return steps


def _describe_audio(sol: Solution) -> list[str]:
    a = sol.inputs.audio
    steps = [f"decode with ffmpeg, resample to {a.rate} Hz, {plural(a.channels, 'channel')}"]
    steps.append("16-bit PCM WAV" if a.format == "wav" else "MP3")
    if sol.inputs.max_audio_seconds:
        steps.append(f"refuse audio longer than {sol.inputs.max_audio_seconds:g} s")
    return steps


def effective_prompt(sol: Solution, override: str | None) -> str | None:
    """The prompt a job of `sol` uses: the override when given, else the manifest's default; None for a system
    without prompts. ValueError for an empty or overlong override (the CLI checks `--prompt` first)."""
    if not uses_prompt(sol):
        return None
    return check_prompt(override) if override is not None else sol.infer.prompt


def _render(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, str):
        return node.format_map(values)
    if isinstance(node, dict):
        return {_render(k, values): _render(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_render(v, values) for v in node]
    return node


def build_plan(
    loaded: LoadedSolution,
    settings: Settings,
    image: Path,
    audio: Path,
    *,
    run_id: str | None = None,
    gpu: int | Sequence[int] | None = 0,
    job_dir: Path | None = None,
    video: Path | None = None,
    prompt: str | None = None,
) -> InferencePlan:
    """The exact argv/cwd/env for one job. `image`/`audio` are the user's files (or TTS output).
    `video`: the user's own video as the source of a system that redraws a video's mouth (inputs.still_video)
    instead of the still video made from the portrait; `image` is then a frame of it (thtui.core.inputs_video).
    `prompt`: the run's text prompt (`--prompt`) for a system whose templates use {prompt}, else its manifest's
    infer.prompt; ignored by systems without prompts. It fills argv items and config values whole, never a shell."""
    sol = loaded.solution
    run_id = run_id or new_run_id()
    job_dir = job_dir or settings.outputs_dir / run_id / sol.name
    job = scratch_dir(job_dir, run_id, sol.name)
    img_ext = sol.inputs.image.format
    aud_ext = sol.inputs.audio.format

    builtin = sol.kind == "builtin"
    values: dict[str, str] = {
        "python": sys.executable if builtin else str(env_python(settings, sol.name)),
        "repo": str(loaded.dir if builtin else repo_dir(settings, sol.name)),
        "weights": str(settings.weights_dir),
        "job": str(job),
        "outdir": str(job / "out"),
        "output": str(job / "out" / "result.mp4"),
        "image": str(job / "inputs" / f"image.{img_ext}"),
        "audio": str(job / "inputs" / f"audio.{aud_ext}"),
        "still_video": str(job / "inputs" / "still.mp4"),
        "gpu": "0",
        "fps": str(sol.inputs.fps),
        "image_stem": "image",
        "audio_stem": "audio",
    }
    if sol.infer.gpus > 1 or sol.infer.uses("gpus"):  # only then: single-GPU plans stay as they were
        values["gpus"] = str(sol.infer.gpus)
    if uses_prompt(sol):  # only then: plans of systems without prompts stay as they were
        values["prompt"] = effective_prompt(sol, prompt)  # type: ignore[assignment]

    inputs = [
        PreparedInput("image", str(Path(image).resolve()), values["image"], describe_image(sol)),
        PreparedInput("audio", str(Path(audio).resolve()), values["audio"], _describe_audio(sol)),
    ]
    if video is not None:
        from thtui.core.inputs_video import video_inputs

        inputs = video_inputs(sol, Path(video), values, inputs[1])
    elif sol.inputs.still_video:
        inputs.append(
            PreparedInput(
                "still_video",
                values["image"],
                values["still_video"],
                [f"hold the prepared image for the audio's length at {sol.inputs.fps} fps, h264 yuv420p"],
            )
        )

    infer = sol.infer
    path_prepend = ([] if builtin else [str(env_prefix(settings, sol.name) / "bin")]) + [
        str(tools_bin(settings))
    ]
    env: dict[str, str] = {"PYTHONUNBUFFERED": "1"}
    if not builtin:
        env["CONDA_PREFIX"] = str(env_prefix(settings, sol.name))
    if gpu is not None and sol.needs_gpu:  # a multi-GPU job (infer.gpus > 1) gets all its indices
        # A preview (thtui plan, --dry-run) passes one index: show the N GPUs an idle machine would give.
        if isinstance(gpu, int) and sol.infer.gpus > 1:
            gpu = tuple(range(gpu, gpu + sol.infer.gpus))
        env["CUDA_VISIBLE_DEVICES"] = str(gpu) if isinstance(gpu, int) else ",".join(map(str, gpu))
    env.update({k: v.format_map(values) for k, v in infer.env.items()})

    files = []
    for f in infer.files:
        path = str(job / f.path.format_map(values))
        if f.yaml is not None:
            content = yaml.safe_dump(_render(f.yaml, values), sort_keys=False, allow_unicode=True)
        elif f.json_doc is not None:
            content = json.dumps(_render(f.json_doc, values), ensure_ascii=False, indent=2) + "\n"
        else:
            content = (f.text or "").format_map(values)
        files.append(PlannedFile(path, content))

    return InferencePlan(
        solution=sol.name,
        run_id=run_id,
        job_dir=str(job_dir),
        scratch=str(job),
        cwd=infer.cwd.format_map(values),
        argv=[a.format_map(values) for a in infer.argv],
        env=env,
        path_prepend=path_prepend,
        mkdirs=[values["outdir"], *(d.format_map(values) for d in infer.mkdirs)],
        files=files,
        inputs=inputs,
        output_path=infer.output.path.format_map(values) if infer.output.path else None,
        output_glob=infer.output.glob.format_map(values) if infer.output.glob else None,
        exclusive_cwd=infer.exclusive_cwd and not builtin,
        values=values,
    )
