"""Golden plans for the 2025-26 systems, and each plan checked against its upstream at the pinned commit.

The upstream argparse (and the other facts a plan depends on: config keys, the file-type rule, repo files, patch
counts) is recorded as data in tests/fixtures/upstream_cli/<name>.yaml; no upstream code is vendored here.
Update the golden files after an intended change with:
  THTUI_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_plans_2025.py
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import yaml
from test_plans_golden import GOLDEN, UPSTREAM_CLI, _normalised, _parse, _plan, upstream_parser

from thtui.core.catalog import Catalog
from thtui.core.config import Settings
from thtui.core.plan import InferencePlan, is_safe_dir

NEW = ["ditto", "float", "latentsync", "musetalk", "sonic"]


def _spec(name: str) -> dict:
    return yaml.safe_load((UPSTREAM_CLI / f"{name}.yaml").read_text(encoding="utf-8"))


def _module_args(plan: InferencePlan, spec: dict) -> list[str]:
    """The flags after `python <script>` or `python -m <module>` (run from the clone as cwd)."""
    if "module" not in spec:
        assert plan.argv[:2] == [plan.values["python"], f"{plan.values['repo']}/{spec['script']}"]
        return plan.argv[2:]
    assert plan.argv[:3] == [plan.values["python"], "-m", spec["module"]]
    assert plan.cwd == plan.values["repo"], "-m imports the package from the cwd"
    assert spec["script"] == spec["module"].replace(".", "/") + ".py"
    return plan.argv[3:]


@pytest.mark.parametrize("name", NEW)
def test_plan_matches_golden(catalog: Catalog, settings: Settings, tmp_path: Path, name: str) -> None:
    got = _normalised(_plan(catalog, settings, tmp_path, name), settings, tmp_path)
    path = GOLDEN / f"{name}.json"
    if os.environ.get("THTUI_UPDATE_GOLDEN") == "1":
        path.write_text(
            json.dumps(got, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
        )
    assert path.exists(), f"no golden plan {path}; create it with THTUI_UPDATE_GOLDEN=1"
    assert got == json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", NEW)
def test_argv_parses_with_the_upstream_argparse(
    catalog: Catalog, settings: Settings, tmp_path: Path, name: str
) -> None:
    sol = catalog.get(name).solution
    plan = _plan(catalog, settings, tmp_path, name)
    parser, spec = upstream_parser(name)
    assert spec["commit"] == sol.upstream.commit  # type: ignore[union-attr]
    assert sol.upstream.entry == spec["script"]  # type: ignore[union-attr]
    args = _module_args(plan, spec)
    _parse(parser, args)
    for arg in spec["arguments"]:
        if arg.get("required"):
            assert any(flag in args for flag in arg["flags"]), f"required {arg['flags']} missing"
    for value in args:
        if "/" in value:
            assert os.path.isabs(value), f"relative path {value!r} would depend on the cwd"
    for prepared in plan.inputs:
        assert is_safe_dir(Path(prepared.dest).parent) and Path(prepared.dest).name.count(".") == 1


@pytest.mark.parametrize("name", NEW)
def test_patch_counts_match_the_pinned_files(catalog: Catalog, name: str) -> None:
    counts = {p.id: p.count for p in catalog.get(name).solution.patches}
    assert counts == _spec(name)["patch_counts"]


@pytest.mark.parametrize("name", ["latentsync", "musetalk"])
def test_video_systems_get_a_still_video_of_the_portrait(
    catalog: Catalog, settings: Settings, tmp_path: Path, name: str
) -> None:
    plan = _plan(catalog, settings, tmp_path, name)
    by_kind = {p.kind: p for p in plan.inputs}
    assert by_kind["still_video"].source == plan.values["image"] == by_kind["image"].dest
    assert by_kind["still_video"].dest == plan.values["still_video"]
    assert by_kind["still_video"].dest.endswith(".mp4")


def test_musetalk_task_config_and_output_name(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    plan = _plan(catalog, settings, tmp_path, "musetalk")
    parser, spec = upstream_parser("musetalk")
    ns = _parse(parser, _module_args(plan, spec))
    files = {f.path: f.content for f in plan.files}
    assert ns.inference_config in files, "the task config is written per job"
    tasks = yaml.safe_load(files[ns.inference_config])
    assert list(tasks) == ["task_0"]
    task = tasks["task_0"]
    assert (
        set(spec["task_keys_required"])
        <= set(task)
        <= set(spec["task_keys_required"] + spec["task_keys_optional"])
    )
    assert "result_name" not in task, "result_name would override --output_vid_name"
    assert (task["video_path"], task["audio_path"]) == (plan.values["still_video"], plan.values["audio"])
    # get_file_type(): a video by extension, so main() takes the video branch (the image branch's cleanup
    # raises NameError on save_dir_full after writing the mp4).
    assert os.path.splitext(task["video_path"])[1].lower() in spec["video_extensions"]
    # main(): output = os.path.join(result_dir/version, output_vid_name); an absolute name wins.
    assert os.path.join(ns.result_dir, ns.version, ns.output_vid_name) == plan.output_path
    assert ns.result_dir == plan.values["outdir"] and ns.version == "v15"
    # The crop cache goes to result_dir/../<video stem>.pkl: inside this job's scratch, not next to other jobs.
    stem = os.path.basename(task["video_path"]).split(".")[0]
    pkl = os.path.normpath(os.path.join(ns.result_dir, "../", stem + ".pkl"))
    assert pkl.startswith(plan.scratch + os.sep)
    assert ns.unet_config != parser.get_default("unet_config"), (
        "the default ./models/musetalk/config.json is absent"
    )
    assert ns.gpu_id == 0 and plan.env["CUDA_VISIBLE_DEVICES"] == "0"
    assert plan.exclusive_cwd is False  # every write goes under result_dir


def test_latentsync_paths_and_temp_dirs(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    plan = _plan(catalog, settings, tmp_path, "latentsync")
    parser, spec = upstream_parser("latentsync")
    ns = _parse(parser, _module_args(plan, spec))
    repo = plan.values["repo"]
    assert ns.unet_config_path.removeprefix(repo + "/") in spec["repo_files"]
    assert ns.unet_config_path != parser.get_default("unet_config_path")  # configs/unet.yaml does not exist
    assert (ns.video_path, ns.audio_path, ns.video_out_path) == (
        plan.values["still_video"],
        plan.values["audio"],
        plan.output_path,
    )
    assert ns.enable_deepcache is True and ns.guidance_scale == 1.5 and ns.inference_steps == 20
    # The pipeline rmtree's --temp_dir first: it must be this job's, never a shared path.
    assert ns.temp_dir.startswith(plan.scratch + os.sep)
    # read_video() still uses a cwd-relative temp/ in the clone: one job per clone at a time.
    assert plan.exclusive_cwd is True
    assert os.path.dirname(ns.video_out_path) in plan.mkdirs  # ffmpeg does not create the parent


def test_float_paths_and_silent_mux_failure(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    plan = _plan(catalog, settings, tmp_path, "float")
    parser, spec = upstream_parser("float")
    args = _module_args(plan, spec)
    ns = _parse(parser, args)
    for flag in spec["must_pass"]:
        assert flag in args, f"{flag} has no usable default upstream"
    repo = plan.values["repo"]
    assert (ns.ref_path, ns.aud_path) == (plan.values["image"], plan.values["audio"])
    assert ns.ckpt_path == f"{repo}/checkpoints/float.pth"
    # Both wav2vec2 folders load local_files_only=True from cwd-relative defaults: passed absolute, into the clone.
    for path in (ns.wav2vec_model_path, ns.audio2emotion_path):
        assert path.startswith(f"{repo}/checkpoints/") and path != parser.get_default("wav2vec_model_path")
    assert ns.res_video_path == plan.output_path and ns.res_dir == plan.values["outdir"] == plan.cwd
    assert ns.emo is None and ns.no_crop is False  # emotion from the audio; upstream's own face crop
    # face_alignment's run-time downloads land where setup put the files.
    sol = catalog.get("float").solution
    torch_home = plan.env["TORCH_HOME"]
    assert torch_home.startswith(repo + "/")
    cached = {w.dest for w in sol.weights}
    for name in spec["face_alignment_cache"]:
        assert os.path.relpath(f"{torch_home}/hub/checkpoints/{name}", repo) in cached
    # save_video's NamedTemporaryFile stays inside the job when ffmpeg fails.
    assert plan.env["TMPDIR"].startswith(plan.scratch + os.sep) and plan.env["TMPDIR"] in plan.mkdirs


def test_sonic_positionals_output_and_audio_cap(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    plan = _plan(catalog, settings, tmp_path, "sonic")
    parser, spec = upstream_parser("sonic")
    ns = _parse(parser, _module_args(plan, spec))
    assert (ns.image_path, ns.audio_path, ns.output_path) == (
        plan.values["image"],
        plan.values["audio"],
        plan.output_path,
    )
    # The temp is made by str.replace('.mp4', ...): exactly one '.mp4', at the end, or the temp overwrites the output.
    assert ns.output_path.endswith(".mp4") and ns.output_path.count(".mp4") == 1
    assert ns.output_path.replace(".mp4", spec["noaudio_suffix"]) != ns.output_path
    assert ns.crop is False and ns.seed is None  # --seed would be ignored anyway
    # frame_num units of 640 samples at 16 kHz: longer audio is cut silently, so thtui refuses it up front.
    sol = catalog.get("sonic").solution
    assert sol.inputs.max_audio_seconds == spec["frame_num"] * 640 / 16000
    svd = next(w for w in sol.weights if w.hf and w.hf.repo.endswith("img2vid-xt"))
    assert svd.hf is not None and svd.hf.include is not None
    for sub in ("vae", "image_encoder", "unet"):  # sonic.py loads these three with variant="fp16"
        assert any(f.startswith(sub + "/") and ".fp16." in f for f in svd.hf.include)


def test_ditto_pytorch_path_and_absolute_output(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    plan = _plan(catalog, settings, tmp_path, "ditto")
    parser, spec = upstream_parser("ditto")
    args = _module_args(plan, spec)
    ns = _parse(parser, args)
    for flag in spec["must_pass"]:
        assert flag in args, f"{flag} has no usable default upstream"
    repo = plan.values["repo"]
    # The defaults select the TensorRT engines (TensorRT 8.6.1 + cuDNN 8, built for Ampere): never used here.
    assert ns.data_root == f"{repo}/checkpoints/ditto_pytorch" != parser.get_default("data_root")
    assert ns.cfg_pkl.endswith("_pytorch.pkl") and "online" not in ns.cfg_pkl  # online cfg: ~5 frames (#93)
    weights = {
        f for w in catalog.get("ditto").solution.weights if w.hf and w.hf.include for f in w.hf.include
    }
    assert os.path.relpath(ns.cfg_pkl, f"{repo}/checkpoints") in weights
    assert any(f.startswith("ditto_pytorch/models/") for f in weights)
    assert (ns.audio_path, ns.source_path, ns.output_path) == (
        plan.values["audio"],
        plan.values["image"],
        plan.output_path,
    )
    assert os.path.isabs(ns.output_path) and ns.output_path + spec["tmp_suffix"] != plan.output_path


def _version(pin: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", pin.split("+")[0])[:3])


@pytest.mark.parametrize("name", NEW)
def test_envs_run_on_sm80_sm89_sm90(catalog: Catalog, name: str) -> None:
    """Every torch profile has A100 (sm_80), RTX 40xx (sm_89) and H100 (sm_90) kernels: torch >= 2.0 built with
    CUDA >= 11.8; every pip requirement is pinned exactly; torch < 2.3 gets numpy 1.x."""
    env = catalog.get(name).solution.env
    assert env is not None and env.torch and "torch" in env.verify_imports
    for key, profile in env.torch.items():
        assert _version(profile.torch) >= (2, 0) and _version(profile.cuda) >= (11, 8)
        assert key == "cu" + profile.cuda.replace(".", "") and profile.index_url.endswith("/whl/" + key)
    pins = {}
    for req in [*env.pip, *env.pip_no_deps]:
        pkg, sep, version = req.partition("==")
        assert sep and version, f"{name}: {req!r} is not pinned"
        pins[re.sub(r"\[.*\]", "", pkg).lower().replace("_", "-")] = version
    if any(_version(p.torch) < (2, 3) for p in env.torch.values()):
        assert _version(pins["numpy"]) < (2,), "torch < 2.3 wheels are built against numpy 1.x"
