"""The Run form's values become the same RunSpec the CLI builds (no Textual needed: plain functions)."""

from __future__ import annotations

from thtui.core.config import repo_root
from thtui.tui.run_form import FormValues, build_spec, check_form, parse_gpus

ASSETS = repo_root() / "assets"


def values(**kw) -> FormValues:
    return FormValues(
        images=[ASSETS / "portrait.jpg"], audios=[ASSETS / "speech.wav"], solutions=["static"], **kw
    )


def test_options_reach_the_run_spec() -> None:
    spec = build_spec(values(repeat="3", warmup=True, pack=True, gpus="1,0,1", timeout="90"), gpu_count=2)
    assert (spec.repeat, spec.warmup, spec.pack, spec.gpus, spec.timeout) == (3, True, True, (1, 0), 90.0)
    plain = build_spec(values(), gpu_count=0)
    assert (plain.pack, plain.gpus, plain.timeout) == (False, None, None)


def test_bad_options_are_flagged_before_anything_runs() -> None:
    errors = check_form(values(repeat="0", gpus="5", timeout="-1"), ready={"static"}, gpu_count=2)
    assert set(errors) >= {"repeat", "gpus", "timeout"}, errors
    assert parse_gpus("all", 2) is None
