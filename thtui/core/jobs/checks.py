"""The checks a run makes before anything runs: every problem at once, as one RunError."""

from __future__ import annotations

from pathlib import Path

from thtui.core.catalog import Catalog, LoadedSolution
from thtui.core.config import Settings
from thtui.core.install_status import solution_status
from thtui.core.jobs import media_glue
from thtui.core.jobs.spec import RunError, RunSpec
from thtui.core.wording import plural


def preflight(
    settings: Settings, catalog: Catalog, spec: RunSpec, gpu_count: int, *, local: bool = True
) -> list[LoadedSolution]:
    """Refuse before anything runs: unknown or not-ready solutions, missing or unusable inputs, a GPU
    system on a machine without a GPU. Raises RunError with every problem at once. `local=False` (a
    cluster run): installs and GPUs are the nodes' business (thtui.core.cluster.head checks them)."""
    problems: list[str] = []
    loaded: list[LoadedSolution] = []
    # Folders and text first: the run folder must not exist yet when these fail (thtui.core.paths_check,
    # thtui.core.tts.check_speakable), so nothing is half-made.
    from thtui.core.preflight_inputs import folder_and_text_problems

    problems += folder_and_text_problems(settings, spec)
    for name in spec.solutions:
        if name not in catalog:
            problems.append(f"unknown solution {name!r} (known: {', '.join(catalog.names())})")
            continue
        sol = catalog.get(name)
        st = solution_status(settings, sol) if local else None
        if st is not None and st.state != "ready":
            detail = f" ({st.detail})" if st.detail else ""
            problems.append(f"{name} is not ready: {st.state}{detail}; install it first: thtui setup {name}")
        if local and sol.solution.needs_gpu and gpu_count == 0 and not spec.gpus:
            why = " (it has no CPU fallback)" if sol.solution.gpu_required else ""
            problems.append(f"{name} needs an NVIDIA GPU{why} and none is visible here")
        loaded.append(sol)
    if spec.gpus and gpu_count:  # none visible: gpu_warning() says so, and the indices are used as given
        bad = [g for g in spec.gpus if not 0 <= g < gpu_count]
        if bad:
            have = "index 0" if gpu_count == 1 else f"indices 0-{gpu_count - 1}"
            problems.append(
                f"--gpus {_indices(spec.gpus)}: no GPU {_indices(bad)} here; this machine has "
                f"{plural(gpu_count, 'GPU')} ({have})"
            )
    errors = media_glue.input_error_types()
    for kind, paths, check in (
        ("image", spec.images, media_glue.check_image),
        ("audio", spec.audios, media_glue.check_audio),
        ("video", getattr(spec, "videos", ()), media_glue.check_video),
    ):
        for path in paths:
            # No is_file() shortcut: the validator check-inputs uses names the real problem (a folder,
            # a symlink loop, unreadable), where this said "not found" for all of them.
            try:
                check(Path(path))
            except errors as exc:  # the message names the file already, usually: say it once
                problems.append(str(exc) if str(path) in str(exc) else f"{kind} {path}: {exc}")
    if spec.references:  # not a video, no audio, no face: refused before the run folder exists
        from thtui.core.reference_inputs import check_reference

        for ref in spec.references:
            try:
                check_reference(ref)
            except errors as exc:
                problems.append(str(exc))
    if problems:
        raise RunError("cannot start the run:\n  " + "\n  ".join(problems))
    return loaded


def _indices(gpus: tuple[int, ...] | list[int]) -> str:
    return ",".join(map(str, gpus))


def gpu_warning(spec: RunSpec, gpu_count: int, backend_error: str | None) -> str | None:
    """GPUs were named but none is visible (no driver in this container, NVML missing, a typo'd box):
    the run goes on, because CUDA may still see them, but the user must know."""
    if not spec.gpus or gpu_count:
        return None
    why = backend_error or "no GPU found"
    why = why if "NVML" in why else f"NVML: {why}"
    devices = " or ".join(map(str, dict.fromkeys(spec.gpus)))
    return (
        f"--gpus {_indices(spec.gpus)} given but no NVIDIA GPU is visible here ({why}); "
        f"jobs that need a GPU get CUDA_VISIBLE_DEVICES={devices} anyway"
    )
