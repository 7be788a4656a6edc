"""The checks a run makes before anything runs: every problem at once, as one RunError."""

from __future__ import annotations

from pathlib import Path

from thtui.core.catalog import Catalog, LoadedSolution
from thtui.core.config import Settings
from thtui.core.install_status import solution_status
from thtui.core.jobs import media_glue
from thtui.core.jobs.spec import RunError, RunSpec


def preflight(settings: Settings, catalog: Catalog, spec: RunSpec, gpu_count: int) -> list[LoadedSolution]:
    """Refuse before anything runs: unknown or not-ready solutions, missing or unusable inputs, a GPU
    system on a machine without a GPU. Raises RunError with every problem at once."""
    problems: list[str] = []
    loaded: list[LoadedSolution] = []
    for name in spec.solutions:
        if name not in catalog:
            problems.append(f"unknown solution {name!r} (known: {', '.join(catalog.names())})")
            continue
        sol = catalog.get(name)
        st = solution_status(settings, sol)
        if st.state != "ready":
            detail = f" ({st.detail})" if st.detail else ""
            problems.append(f"{name} is not ready: {st.state}{detail}; install it first: thtui setup {name}")
        if sol.solution.needs_gpu and gpu_count == 0 and not spec.gpus:
            problems.append(f"{name} needs an NVIDIA GPU and none is visible here")
        loaded.append(sol)
    errors = media_glue.input_error_types()
    for kind, paths, check in (
        ("image", spec.images, media_glue.check_image),
        ("audio", spec.audios, media_glue.check_audio),
    ):
        for path in paths:
            if not Path(path).is_file():
                problems.append(f"{kind} not found: {path}")
                continue
            try:
                check(Path(path))
            except errors as exc:
                problems.append(f"{kind} {path}: {exc}")
    if problems:
        raise RunError("cannot start the run:\n  " + "\n  ".join(problems))
    return loaded
