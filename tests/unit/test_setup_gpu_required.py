"""Audio2Head says it needs a GPU (it calls .cuda() unconditionally) and classifies the errors a machine
without one produces; the systems with a CPU fallback do not claim it."""

from __future__ import annotations

import re

import pytest

from thtui.core.catalog import load_manifest
from thtui.core.config import repo_root


def _solution(name: str):  # type: ignore[no-untyped-def]
    return load_manifest(repo_root() / "solutions" / name / "solution.yaml").solution


@pytest.mark.parametrize(
    "line",
    [
        "RuntimeError: No CUDA GPUs are available",
        "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU",
        "AssertionError: Torch not compiled with CUDA enabled",
    ],
)
def test_audio2head_requires_a_gpu_and_names_the_no_gpu_errors(line: str) -> None:
    sol = _solution("audio2head")
    assert sol.gpu_required is True
    hits = [f for f in sol.failures if re.search(f.pattern, line)]
    assert hits and "needs an NVIDIA GPU" in hits[0].message


@pytest.mark.parametrize("name", ["wav2lip", "sadtalker", "static"])
def test_systems_with_a_cpu_path_do_not_claim_to_require_a_gpu(name: str) -> None:
    assert _solution(name).gpu_required is False


def test_run_refusal_says_audio2head_has_no_cpu_fallback(catalog, settings) -> None:  # type: ignore[no-untyped-def]
    from thtui.core.jobs.checks import preflight
    from thtui.core.jobs.spec import RunError, RunSpec

    assets = repo_root() / "assets"
    spec = RunSpec(
        solutions=("audio2head", "wav2lip"),
        images=(assets / "portrait.jpg",),
        audios=(assets / "speech.wav",),
    )
    with pytest.raises(RunError) as caught:
        preflight(settings, catalog, spec, gpu_count=0)
    text = str(caught.value)
    assert "audio2head needs an NVIDIA GPU (it has no CPU fallback) and none is visible here" in text
    assert "wav2lip needs an NVIDIA GPU and none is visible here" in text
