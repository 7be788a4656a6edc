"""Multi-GPU jobs in manifests: `infer.gpus` (GPUs one job holds together, one torchrun rank each) and the
`{gpus}` placeholder that carries the count into the argv; the plan lists every held GPU in CUDA_VISIBLE_DEVICES."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_plans_golden import RUN_ID, _inputs

from thtui.core.catalog.loader import ManifestError, load_manifest
from thtui.core.config import Settings
from thtui.core.plan import build_plan

MANIFESTS = Path(__file__).parent.parent / "fixtures" / "manifests"


def _variant(tmp_path: Path, **infer: object) -> Path:
    data = yaml.safe_load((MANIFESTS / "good_multi_gpu" / "solution.yaml").read_text(encoding="utf-8"))
    data["name"] = "variant"
    data["infer"].update(infer)
    path = tmp_path / "variant" / "solution.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_two_rank_plan_holds_both_gpus_and_tells_torchrun(settings: Settings, tmp_path: Path) -> None:
    loaded = load_manifest(MANIFESTS / "good_multi_gpu" / "solution.yaml")
    assert loaded.solution.infer.gpus == 2
    image, audio = _inputs(tmp_path)
    plan = build_plan(loaded, settings, image, audio, run_id=RUN_ID, gpu=[1, 3])
    assert plan.env["CUDA_VISIBLE_DEVICES"] == "1,3"
    assert "--nproc_per_node=2" in plan.argv
    assert plan.argv[plan.argv.index("--ulysses_size") + 1] == "2"
    assert plan.values["gpus"] == "2"


def test_single_gpu_manifest_plan_is_unchanged(settings: Settings, tmp_path: Path) -> None:
    loaded = load_manifest(MANIFESTS / "good_minimal" / "solution.yaml")
    assert loaded.solution.infer.gpus == 1
    image, audio = _inputs(tmp_path)
    plan = build_plan(loaded, settings, image, audio, run_id=RUN_ID, gpu=2)
    assert plan.env["CUDA_VISIBLE_DEVICES"] == "2" and "gpus" not in plan.values


def test_gpus_one_may_still_use_the_placeholder(settings: Settings, tmp_path: Path) -> None:
    loaded = load_manifest(_variant(tmp_path, gpus=1))
    image, audio = _inputs(tmp_path)
    plan = build_plan(loaded, settings, image, audio, run_id=RUN_ID, gpu=[0])
    assert "--nproc_per_node=1" in plan.argv and plan.env["CUDA_VISIBLE_DEVICES"] == "0"


def test_zero_gpus_is_refused_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"infer\.gpus"):
        load_manifest(_variant(tmp_path, gpus=0))


def test_several_gpus_without_ranks_in_the_argv_is_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, argv=["{python}", "{repo}/run.py", "--out", "{output}"])
    with pytest.raises(ManifestError, match=r"infer\.gpus is 2 but no template uses \{gpus\}"):
        load_manifest(path)


def test_preview_of_a_two_rank_plan_names_two_gpus(settings: Settings, tmp_path: Path) -> None:
    """`thtui plan` and --dry-run build plans with gpu=0: a 2-GPU job shows the two GPUs an idle machine gives."""
    loaded = load_manifest(MANIFESTS / "good_multi_gpu" / "solution.yaml")
    image, audio = _inputs(tmp_path)
    plan = build_plan(loaded, settings, image, audio, run_id=RUN_ID)
    assert plan.env["CUDA_VISIBLE_DEVICES"] == "0,1" and "--nproc_per_node=2" in plan.argv


def test_fits_this_gpu_counts_the_gpus_a_job_holds() -> None:
    """The catalog filter behind `thtui list --fits-gpu` and the Solutions screen's G: 60 GB on each of 2."""
    from thtui.core.catalog.filters import CatalogFilter, fits_gpu, keep

    wide = load_manifest(MANIFESTS / "good_multi_gpu" / "solution.yaml")
    h100 = 80 * 1000**3
    assert fits_gpu(wide, h100, gpu_count=2) and not fits_gpu(wide, h100, gpu_count=1)
    assert fits_gpu(wide, h100), "count unknown: judged by size alone"
    assert not fits_gpu(wide, 48 * 1000**3, gpu_count=8), "60 GB per GPU"
    assert not keep(wide, "ready", CatalogFilter(fits_gpu=True, gpu_bytes=h100, gpu_count=1))
