"""Golden inference plans for every solution, and each plan's argv parsed by its upstream's own argparse.

The upstream argparse is described as data in tests/fixtures/upstream_cli/<name>.yaml (flags, types, nargs,
choices, required: extracted once from the pinned commit), so no upstream code is vendored here.
Update the golden files after an intended change with:  THTUI_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_plans_golden.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from thtui.core.catalog import Catalog
from thtui.core.config import Settings, repo_root
from thtui.core.plan import InferencePlan, build_plan, is_safe_dir

FIXTURES = Path(__file__).parent.parent / "fixtures"
GOLDEN = FIXTURES / "golden_plans"
UPSTREAM_CLI = FIXTURES / "upstream_cli"
RUN_ID = "20250101-000000-beef"
ALL = ["audio2head", "echomimic", "jawflap", "sadtalker", "static", "v_express", "wav2lip"]
UPSTREAM = [n for n in ALL if n not in ("static", "jawflap")]
# User files with spaces, several dots, an upper-case extension and non-ASCII: the plan must never hand
# these names to an upstream script.
IMAGE_NAME = "my face.v2 ü.PNG"
AUDIO_NAME = "take 1.final ü.WAV"


def _inputs(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "user files.d"
    folder.mkdir()
    image, audio = folder / IMAGE_NAME, folder / AUDIO_NAME
    image.write_bytes(b"not really a png")
    audio.write_bytes(b"not really a wav")
    return image, audio


def _plan(catalog: Catalog, settings: Settings, tmp_path: Path, name: str) -> InferencePlan:
    image, audio = _inputs(tmp_path)
    return build_plan(catalog.get(name), settings, image, audio, run_id=RUN_ID, gpu=0)


def _normalised(plan: InferencePlan, settings: Settings, tmp_path: Path) -> dict:
    """The plan as JSON with machine-specific paths replaced by stable tokens."""
    text = json.dumps(plan.to_dict(), ensure_ascii=False, sort_keys=True)
    # A tmp dir that is not shell-safe sends scratch to the system temp dir; golden files show the usual case.
    if plan.scratch != plan.job_dir:
        text = text.replace(plan.scratch, plan.job_dir)
    tokens = {
        str(settings.outputs_dir): "<OUTPUTS>",
        str(settings.data_root): "<HOME>",
        str(repo_root()): "<REPO>",
        sys.executable: "<PYTHON>",
        str(tmp_path.resolve()): "<TMP>",
        str(tmp_path): "<TMP>",
    }
    for real in sorted(tokens, key=len, reverse=True):  # longest first: outputs/home live under tmp
        text = text.replace(json.dumps(real, ensure_ascii=False)[1:-1], tokens[real])
    data = json.loads(text)
    for f in data["files"]:
        # Compare generated YAML as data: PyYAML writes keys of 128+ characters (a long tmp path) as
        # explicit `? key` entries, which read back the same.
        if f["path"].endswith((".yaml", ".yml")):
            f["content"] = yaml.safe_load(f["content"])
    return data


@pytest.mark.parametrize("name", ALL)
def test_plan_matches_golden(catalog: Catalog, settings: Settings, tmp_path: Path, name: str) -> None:
    got = _normalised(_plan(catalog, settings, tmp_path, name), settings, tmp_path)
    path = GOLDEN / f"{name}.json"
    if os.environ.get("THTUI_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(got, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
        )
    assert path.exists(), f"no golden plan {path}; create it with THTUI_UPDATE_GOLDEN=1"
    assert got == json.loads(path.read_text(encoding="utf-8"))


# --- argv against the upstream argparse ---------------------------------------------------------------------

_TYPES = {"str": str, "int": int, "float": float, "bool": bool}


def upstream_parser(name: str) -> tuple[argparse.ArgumentParser, dict]:
    spec = yaml.safe_load((UPSTREAM_CLI / f"{name}.yaml").read_text(encoding="utf-8"))
    parser = argparse.ArgumentParser(prog=spec["script"], exit_on_error=False)
    for arg in spec["arguments"]:
        kwargs = {k: v for k, v in arg.items() if k != "flags"}
        if "type" in kwargs:
            kwargs["type"] = _TYPES[kwargs["type"]]
        parser.add_argument(*arg["flags"], **kwargs)
    return parser, spec


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    try:
        return parser.parse_args(argv)
    except (SystemExit, argparse.ArgumentError) as exc:  # required-missing still exits on 3.11
        pytest.fail(f"upstream argparse rejects {argv}: {exc}")


def test_fixture_parser_rejects_what_upstream_rejects() -> None:
    parser, _ = upstream_parser("wav2lip")
    with pytest.raises(SystemExit):
        parser.parse_args(["--face", "/a/face.png", "--audio", "/a/a.wav"])  # --checkpoint_path is required
    parser, _ = upstream_parser("sadtalker")
    with pytest.raises((SystemExit, argparse.ArgumentError)):
        parser.parse_args(["--preprocess", "fullbody"])  # not among the choices
    with pytest.raises((SystemExit, argparse.ArgumentError)):
        parser.parse_args(["--kps_path", ""])  # unknown flag


@pytest.mark.parametrize("name", UPSTREAM)
def test_argv_parses_with_the_upstream_argparse(
    catalog: Catalog, settings: Settings, tmp_path: Path, name: str
) -> None:
    loaded = catalog.get(name)
    plan = _plan(catalog, settings, tmp_path, name)
    parser, spec = upstream_parser(name)
    repo = plan.values["repo"]

    assert spec["commit"] == loaded.solution.upstream.commit  # type: ignore[union-attr]
    assert plan.argv[0] == plan.values["python"]
    assert plan.argv[1] == f"{repo}/{spec['script']}"
    args = plan.argv[2:]
    _parse(parser, args)
    for arg in spec["arguments"]:
        if arg.get("required"):
            assert any(flag in args for flag in arg["flags"]), f"required {arg['flags']} missing"
    for value in plan.argv:
        if "/" in value:
            assert os.path.isabs(value), f"relative path {value!r} would depend on the cwd"
    # What upstream reads is shell- and dot-safe, whatever the user's file was named.
    for prepared in plan.inputs:
        assert is_safe_dir(Path(prepared.dest).parent) and Path(prepared.dest).name.count(".") == 1
        assert " " not in prepared.dest and prepared.dest.isascii()


def _ns(
    catalog: Catalog, settings: Settings, tmp_path: Path, name: str
) -> tuple[InferencePlan, argparse.Namespace]:
    plan = _plan(catalog, settings, tmp_path, name)
    return plan, _parse(upstream_parser(name)[0], plan.argv[2:])


def test_wav2lip_first_dot_rule(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    plan, ns = _ns(catalog, settings, tmp_path, "wav2lip")
    # inference.py: `args.face.split('.')[1] in ['jpg', 'png', 'jpeg']` decides "still image" vs "video".
    assert ns.face.count(".") == 1 and ns.face.split(".")[1] in ["jpg", "png", "jpeg"]
    assert ns.static is False, "--static is type=bool: any value, even 'False', turns it on"
    assert ns.outfile == plan.output_path and plan.cwd == plan.values["repo"]
    assert ns.checkpoint_path.endswith("/checkpoints/wav2lip_gan.pth")


def test_sadtalker_fresh_result_dir_and_glob(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    plan, ns = _ns(catalog, settings, tmp_path, "sadtalker")
    outdir = plan.values["outdir"]
    assert ns.result_dir == outdir and outdir in plan.mkdirs
    assert plan.output_glob == f"{outdir}/*.mp4"  # the file is named after a timestamp
    assert ns.source_image.split(".")[-1] in ["jpg", "png", "jpeg"]
    assert ns.size in (256, 512) and plan.cwd == plan.values["repo"]  # gfpgan/weights is cwd-relative
    assert plan.env["PYTORCH_CUDA_ALLOC_CONF"] == "max_split_size_mb:128"


def test_audio2head_cwd_results_dir_and_output_name(
    catalog: Catalog, settings: Settings, tmp_path: Path
) -> None:
    plan, ns = _ns(catalog, settings, tmp_path, "audio2head")
    repo = plan.values["repo"]
    assert plan.cwd == repo and f"{repo}/results" in plan.mkdirs  # ffmpeg writes ./results/temp.wav
    # inference.py names the video basename(img)[:-4] + "_" + basename(audio)[:-4] + ".mp4" in --save_path.
    name = os.path.basename(ns.img_path)[:-4] + "_" + os.path.basename(ns.audio_path)[:-4] + ".mp4"
    assert plan.output_path == os.path.join(ns.save_path, name)


def test_v_express_empty_kps_path(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    plan, ns = _ns(catalog, settings, tmp_path, "v_express")
    assert ns.kps_path == "", "a non-empty --kps_path must exist even for fix_face"
    assert ns.retarget_strategy == "fix_face" and ns.output_path == plan.output_path
    assert plan.cwd == plan.values["repo"]  # './inference_v2.yaml'
    assert ns.reference_image_path == plan.values["image"] and ns.audio_path == plan.values["audio"]


def test_echomimic_generated_config(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    plan, ns = _ns(catalog, settings, tmp_path, "echomimic")
    _, spec = upstream_parser("echomimic")
    files = {f.path: f.content for f in plan.files}
    assert ns.config in files
    config = yaml.safe_load(files[ns.config])
    assert list(config) == spec["config_keys"]
    assert config["test_cases"] == {plan.values["image"]: [plan.values["audio"]]}
    repo = plan.values["repo"]
    for key, value in config.items():
        if key.endswith("_path") or key == "inference_config":
            assert value.startswith(repo + "/"), f"{key} must point into the clone, got {value}"
    assert plan.output_glob == f"{plan.cwd}/output/*/*/*_withaudio.mp4"
    assert (ns.W, ns.H, ns.fps) == (512, 512, 24)
