"""Pydantic models for `solutions/<name>/solution.yaml`.

A manifest is data, not code: setup, inference planning and the UI all read these models and nothing
else. Strings in `infer` may use placeholders such as `{image}`; they are checked at load time against
PLACEHOLDERS so a typo fails when the catalog loads, not after twenty minutes of GPU time.
"""

from __future__ import annotations

import re
import string
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Placeholders an inference template may use. Values are filled by thtui.core.plan.
PLACEHOLDERS: dict[str, str] = {
    "python": "the env's own interpreter (or thtui's own for builtins)",
    "repo": "the upstream clone (absolute)",
    "weights": "the solution's weight directory (absolute)",
    "image": "the prepared image (absolute)",
    "audio": "the prepared audio (absolute)",
    "still_video": "the prepared still-image video (absolute), when inputs.still_video is set",
    "job": "the job's scratch directory (absolute, fresh per job)",
    "outdir": "an empty directory the upstream script writes into (absolute)",
    "output": "where the final video must land: {outdir}/result.mp4",
    "gpu": "the GPU index as CUDA sees it inside the job (always 0: CUDA_VISIBLE_DEVICES selects)",
    "gpus": "how many GPUs the job holds (infer.gpus): torchrun's --nproc_per_node, upstream parallel sizes",
    "fps": "inputs.fps",
    "image_stem": "file name of {image} without its extension",
    "audio_stem": "file name of {audio} without its extension",
    "prompt": "the text prompt: `thtui run --prompt`, else infer.prompt (a manifest using it must set that)",
}
PROMPT_MAX_CHARS = 1000  # upstream text encoders truncate far sooner; longer is a paste accident


_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


def template_fields(text: str) -> set[str]:
    """Names used as `{name}` in a format string (`{{` escapes a brace)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Strict(BaseModel):
    # defer_build (inherited by every model here): a model's validator is built on its first validation,
    # not at import. A catalog read from its cache (catalog/cache.py) is not validated again, so start-up
    # (`thtui list`, the TUI) skips building them.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Upstream(Strict):
    repo: str = Field(description="git URL of the upstream repository")
    commit: str = Field(description="pinned commit (full sha preferred: shallow fetch by sha needs it)")
    entry: str = Field(description="script the upstream README runs, relative to the repo")

    @field_validator("commit")
    @classmethod
    def _commit(cls, v: str) -> str:
        if not _COMMIT.match(v):
            raise ValueError("must be a hex git commit (7-40 characters)")
        return v


class License(Strict):
    code: str
    weights: str
    commercial: Literal["yes", "no", "unknown"]
    notes: str = ""


class TorchProfile(Strict):
    """One CUDA build of torch. `index_url` is the PyTorch wheel index for that CUDA version."""

    torch: str
    torchvision: str | None = None
    torchaudio: str | None = None
    index_url: str
    min_driver: str = Field(description="lowest NVIDIA driver that runs this CUDA build, e.g. '525.60'")
    cuda: str = Field(description="CUDA version of the wheels, e.g. '12.1'")


class SourceBuild(Strict):
    """What compiling a CUDA extension from source takes (upstream's README/setup.py, our own builds)."""

    nvcc_min: str = Field(
        description="lowest CUDA toolkit (nvcc) that builds it, e.g. '11.7'; its major must also equal the "
        "torch profile's CUDA major (torch.utils.cpp_extension refuses another)"
    )
    compiler: str = Field(
        description="host C++ compiler it needs, e.g. 'g++ >= 9' (nvcc caps the version too)"
    )
    disk_gb: float = Field(ge=0, description="free disk the build needs (sources, objects, pip's temp dir)")
    ram_gb: float | None = Field(default=None, ge=0, description="peak RAM at the default parallelism")
    minutes: float | None = Field(default=None, gt=0, description="typical build time, with `source`")
    env: dict[str, str] = Field(default_factory=dict, description="build variables, e.g. MAX_JOBS: '4'")
    source: str = Field(description="where these numbers come from")


class CudaExtension(Strict):
    """A pip package with CUDA kernels that PyPI does not serve as a wheel for this env's torch/CUDA/Python
    (flash-attn is an sdist there; an older xformers only on the PyTorch index): its prebuilt wheel per torch
    profile, and what a source build needs where there is none. `thtui doctor` says which applies here."""

    package: str = Field(description="pip requirement, e.g. 'flash-attn==2.7.4.post1'")
    module: str = Field(description="import name, e.g. 'flash_attn'")
    wheels: dict[str, str] = Field(
        default_factory=dict,
        description="torch profile -> prebuilt wheel URL (.whl) or a wheel index URL (ending '/') that has one "
        "for that profile's torch, CUDA and env.python",
    )
    build: SourceBuild | None = None
    required: bool = Field(default=True, description="False: upstream falls back without it (slower)")
    note: str = ""

    @field_validator("wheels")
    @classmethod
    def _wheel_urls(cls, v: dict[str, str]) -> dict[str, str]:
        for profile, url in v.items():
            if not url.startswith("https://") or not (url.endswith(".whl") or url.endswith("/")):
                raise ValueError(
                    f"{profile}: {url!r} is neither an https wheel (.whl) nor an index URL (ending '/')"
                )
        return v

    @model_validator(mode="after")
    def _some_way(self) -> CudaExtension:
        if not self.wheels and self.build is None:
            raise ValueError(
                f"{self.package}: give wheels (per torch profile) or build (what a source build needs)"
            )
        return self


class Env(Strict):
    python: str
    conda: list[str] = Field(default_factory=list, description="conda-forge packages (e.g. ffmpeg)")
    torch: dict[str, TorchProfile] = Field(default_factory=dict, description="CUDA profile -> torch pins")
    torch_default: str | None = None
    pip: list[str] = Field(default_factory=list)
    pip_extra_index: list[str] = Field(default_factory=list)
    pip_no_deps: list[str] = Field(default_factory=list, description="installed with --no-deps after pip")
    verify_imports: list[str] = Field(default_factory=list, description="modules that must import in the env")
    cuda_extensions: list[CudaExtension] = Field(
        default_factory=list,
        description="flash-attn, xformers ...: prebuilt wheels or what a source build needs",
    )

    @field_validator("python")
    @classmethod
    def _python(cls, v: str) -> str:
        if not re.match(r"^3\.\d{1,2}$", v):
            raise ValueError("must be a minor version like '3.10'")
        return v

    @model_validator(mode="after")
    def _default_profile(self) -> Env:
        if self.torch and (self.torch_default not in self.torch):
            raise ValueError(f"torch_default must name one of the torch profiles {sorted(self.torch)}")
        for ext in self.cuda_extensions:
            unknown = sorted(set(ext.wheels) - set(self.torch))
            if unknown:
                raise ValueError(
                    f"cuda_extensions {ext.package}: wheels for unknown torch profile(s) {unknown}; "
                    f"profiles: {sorted(self.torch)}"
                )
        return self


class Patch(Strict):
    """A literal find/replace on an upstream file (or an installed package), applied idempotently."""

    id: str
    target: Literal["repo", "site-packages"] = "repo"
    path: str
    find: str
    replace: str
    count: int | None = Field(default=None, description="expected occurrences of `find` (None: at least one)")
    reason: str

    @model_validator(mode="after")
    def _distinct(self) -> Patch:
        if self.find == self.replace:
            raise ValueError("find and replace are identical")
        return self


class HFSource(Strict):
    """A file (`file`) or a set of files (`include` globs, `dest` is then a directory) on a HF model repo."""

    repo: str
    file: str | None = None
    include: list[str] | None = None
    revision: str = Field(default="main", description="branch, tag or commit; a commit pins the bytes")

    @model_validator(mode="after")
    def _one(self) -> HFSource:
        if (self.file is None) == (self.include is None):
            raise ValueError("give exactly one of file, include")
        return self


class Weight(Strict):
    """One file the solution needs, from exactly one source, checked by sha256 (or size when unknown)."""

    dest: str = Field(description="path relative to the repo clone where the upstream code expects it")
    hf: HFSource | None = None
    url: str | None = None
    gdrive: str | None = Field(default=None, description="Google Drive file id")
    sha256: str | None = None
    size: int | None = Field(default=None, gt=0)
    min_size: int | None = Field(
        default=None,
        gt=0,
        description="last resort when upstream publishes neither sha256 nor size (Audio2Head's Google Drive "
        "checkpoint): reject anything smaller, e.g. an HTML error page saved as the weight",
    )
    optional: bool = False
    note: str = ""

    @field_validator("sha256")
    @classmethod
    def _sha(cls, v: str | None) -> str | None:
        if v is not None and not _SHA256.match(v):
            raise ValueError("must be 64 lower-case hex characters")
        return v

    @field_validator("dest")
    @classmethod
    def _dest(cls, v: str) -> str:
        if v.startswith("/") or ".." in v.split("/"):
            raise ValueError("must be a relative path inside the repo clone")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> Weight:
        sources = [s for s in (self.hf, self.url, self.gdrive) if s]
        if len(sources) != 1:
            raise ValueError("give exactly one of hf, url, gdrive")
        snapshot = self.hf is not None and self.hf.include is not None
        if snapshot and (self.sha256 or self.size or self.min_size):
            raise ValueError(
                "an hf include-set is checked file by file against the hub's LFS sha256; drop sha256/size"
            )
        if not snapshot and self.sha256 is None and self.size is None and self.min_size is None:
            raise ValueError("give sha256 (preferred) or at least size, so a bad download is never accepted")
        return self


class ImagePrep(Strict):
    format: Literal["png", "jpg"] = "png"
    size: int | None = Field(default=None, gt=0, description="square side in px; None keeps the size")
    crop: Literal["none", "face", "center"] = "none"
    face_required: bool = False
    single_dot_name: bool = Field(default=False, description="absolute path with exactly one dot (Wav2Lip)")


class AudioPrep(Strict):
    format: Literal["wav", "mp3"] = "wav"
    rate: int = 16000
    channels: int = 1


class Inputs(Strict):
    image: ImagePrep = Field(default_factory=ImagePrep)
    audio: AudioPrep = Field(default_factory=AudioPrep)
    still_video: bool = False
    image_takes_video: bool = Field(
        default=False,
        description="{image} also accepts a video (Wav2Lip's --face holds a still image itself, or redraws a "
        "video): `--video` puts the user's re-encoded video there; without it the portrait goes there as usual",
    )
    fps: int = 25
    max_audio_seconds: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_video_route(self) -> Inputs:
        if self.still_video and self.image_takes_video:
            raise ValueError("give still_video or image_takes_video, not both: a video goes to one place")
        return self


class GeneratedFile(Strict):
    """A file written into the job dir before the run (e.g. EchoMimic's YAML with test_cases)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    path: str = Field(description="relative to {job}")
    yaml: dict | None = None
    # `json` in the manifest (a field named json would shadow BaseModel.json): written with json.dumps, so a
    # placeholder's value (a prompt with quotes) is escaped, unlike a `text` template (InfiniteTalk's --input_json).
    json_doc: dict | None = Field(default=None, alias="json")
    text: str | None = None

    @model_validator(mode="after")
    def _one(self) -> GeneratedFile:
        if sum(d is not None for d in (self.yaml, self.json_doc, self.text)) != 1:
            raise ValueError("give exactly one of yaml, json, text")
        return self

    def template(self) -> dict | str:
        return next(d for d in (self.yaml, self.json_doc, self.text) if d is not None)


class Output(Strict):
    """How to find the video the upstream script wrote."""

    path: str | None = Field(default=None, description="exact path template, e.g. '{output}'")
    glob: str | None = Field(default=None, description="glob template; the newest match after job start wins")

    @model_validator(mode="after")
    def _one(self) -> Output:
        if (self.path is None) == (self.glob is None):
            raise ValueError("give exactly one of path, glob")
        return self


class Infer(Strict):
    cwd: str = "{repo}"
    argv: list[str] = Field(min_length=1)
    env: dict[str, str] = Field(default_factory=dict)
    mkdirs: list[str] = Field(default_factory=list, description="dirs (templates) to create before the run")
    files: list[GeneratedFile] = Field(default_factory=list)
    output: Output
    exclusive_cwd: bool = Field(default=True, description="upstream writes cwd-relative temp files")
    gpus: int = Field(
        default=1,
        ge=1,
        description="GPUs one job holds together (one rank each, launched by torchrun --nproc_per_node={gpus}); "
        "CUDA_VISIBLE_DEVICES lists them all, and estimates.vram_gb is then the need of each GPU",
    )
    prompt: str | None = Field(
        default=None,
        description="default text prompt for {prompt} (EchoMimicV3, LiveAvatar); `thtui run --prompt` overrides it",
    )

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, v: str | None) -> str | None:
        return None if v is None else check_prompt(v)

    def templates(self) -> list[tuple[str, str]]:
        """Every template string with where it sits (`argv[3]`, `env.X`, `files[0]` ...)."""
        texts: list[tuple[str, str]] = [("cwd", self.cwd)]
        texts += [(f"argv[{i}]", a) for i, a in enumerate(self.argv)]
        texts += [(f"env.{k}", v) for k, v in self.env.items()]
        texts += [(f"mkdirs[{i}]", d) for i, d in enumerate(self.mkdirs)]
        texts += [("output", self.output.path or self.output.glob or "")]
        for i, f in enumerate(self.files):
            texts.append((f"files[{i}].path", f.path))
            texts += [(f"files[{i}]", s) for s in _strings(f.template())]
        return texts

    def uses(self, placeholder: str) -> bool:
        """Whether any template uses `{placeholder}` (templates are valid once the model exists)."""
        return any(placeholder in template_fields(text) for _, text in self.templates())

    @model_validator(mode="after")
    def _placeholders(self) -> Infer:
        texts = self.templates()
        prompt_at: list[str] = []
        for where, text in texts:
            try:
                prompt_at += [where] if "prompt" in template_fields(text) else []
                unknown = template_fields(text) - set(PLACEHOLDERS)
            except ValueError as exc:
                raise ValueError(f"{where}: bad template {text!r}: {exc}") from exc
            if unknown:
                raise ValueError(
                    f"{where}: unknown placeholder(s) {sorted(unknown)} in {text!r}; known: {sorted(PLACEHOLDERS)}"
                )
        # Without a default, a run given no --prompt would hand the upstream script an empty prompt.
        if prompt_at and self.prompt is None:
            raise ValueError(
                f"{prompt_at[0]} uses {{prompt}} but infer.prompt (the default prompt text) is not set"
            )
        if not prompt_at and self.prompt is not None:
            raise ValueError("infer.prompt is set but no template uses {prompt}")
        as_path = [w for w in prompt_at if w in ("cwd", "output") or w.startswith("mkdirs")]
        if as_path:
            raise ValueError(f"{as_path[0]}: {{prompt}} is text for the model, not part of a path")
        for i, f in enumerate(self.files):  # user text lands in these files: only as quoted data
            as_typed = template_fields(f.path) | template_fields(f.text or "")
            if "prompt" in as_typed:
                raise ValueError(
                    f"files[{i}]: {{prompt}} only goes into a yaml or json file (they quote it); a text file or a "
                    "path would take the user's quotes and newlines as they are"
                )
        # Several GPUs held by one process would idle all but one: the ranks' count must reach the argv.
        if self.gpus > 1 and not self.uses("gpus"):
            raise ValueError(
                f"infer.gpus is {self.gpus} but no template uses {{gpus}}: launch one rank per GPU, "
                "e.g. torchrun --standalone --nproc_per_node={gpus}"
            )
        return self


def check_prompt(text: str) -> str:
    """A prompt (the manifest's default or `--prompt`) as used: non-empty, at most PROMPT_MAX_CHARS.
    Raises ValueError with a reason that names neither field: callers do."""
    if not text.strip():
        raise ValueError("the prompt is empty")
    if len(text) > PROMPT_MAX_CHARS:
        raise ValueError(f"the prompt has {len(text)} characters; at most {PROMPT_MAX_CHARS}")
    return text


def uses_prompt(sol: Solution) -> bool:
    """Whether the solution's templates take a text prompt ({prompt}; then infer.prompt is its default)."""
    return sol.infer.prompt is not None


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in (_strings(k) + _strings(v))]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


FailureClass = Literal[
    "out_of_memory",
    "face_not_detected",
    "missing_weights",
    "cuda_arch_mismatch",
    "missing_dependency",
    "bad_input",
    "timeout",
    "crash",
    "no_output",
]


class FailurePattern(Strict):
    pattern: str
    failure: FailureClass = Field(alias="class")
    message: str

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("pattern")
    @classmethod
    def _regex(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return v


class Estimates(Strict):
    vram_gb: float = Field(ge=0)
    sec_per_sec: float = Field(gt=0, description="seconds of compute per second of audio on a modern GPU")
    disk_gb: float = Field(ge=0, description="clone + env + weights")
    source: str = Field(description="where the estimate comes from (issue numbers, our own runs)")


class Solution(Strict):
    schema_version: Literal[1] = 1
    name: str
    title: str
    summary: str
    kind: Literal["upstream", "builtin"] = "upstream"
    homepage: str | None = None
    upstream: Upstream | None = None
    license: License
    env: Env | None = None
    patches: list[Patch] = Field(default_factory=list)
    weights: list[Weight] = Field(default_factory=list)
    inputs: Inputs = Field(default_factory=Inputs)
    infer: Infer
    failures: list[FailurePattern] = Field(default_factory=list)
    estimates: Estimates
    needs_gpu: bool = True
    gpu_required: bool = Field(
        default=False,
        description="the upstream code cannot run without a CUDA GPU (e.g. calls .cuda() unconditionally): "
        "no CPU fallback, so a machine without one is told before anything runs",
    )
    notes: list[str] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError("must be lower-case letters, digits and '_', starting with a letter")
        return v

    @model_validator(mode="after")
    def _kind(self) -> Solution:
        if self.kind == "upstream":
            if self.upstream is None or self.env is None:
                raise ValueError("an upstream solution needs both 'upstream' and 'env'")
        else:
            if self.upstream or self.env or self.weights or self.patches:
                raise ValueError("a builtin solution has no upstream, env, weights or patches")
        dests = [w.dest for w in self.weights]
        dupes = sorted({d for d in dests if dests.count(d) > 1})
        if dupes:
            raise ValueError(f"weights: duplicate dest {dupes}")
        ids = [p.id for p in self.patches]
        if len(ids) != len(set(ids)):
            raise ValueError("patches: ids must be unique")
        return self
