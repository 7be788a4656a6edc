"""Golden plans for the second batch of 2025-26 systems (EchoMimicV3 Flash-Pro, SoulX-FlashHead, InfiniteTalk,
LiveAvatar), each plan checked against its upstream at the pinned commit, and the per-job inputs they need.

Same pattern as test_plans_2025.py: the upstream argparse (and the other facts a plan depends on: config keys,
output naming, repo files, patch counts) is data in tests/fixtures/upstream_cli/<name>.yaml; no upstream code is
vendored here. Update the golden files after an intended change with:
  THTUI_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_plans_2025b.py
"""

from __future__ import annotations

import fnmatch
import json
import os
from pathlib import Path

import pytest
from test_plans_2025 import _module_args, _spec, _version
from test_plans_golden import GOLDEN, RUN_ID, _normalised, _parse, _plan, upstream_parser

from thtui.core.catalog import Catalog
from thtui.core.config import Settings
from thtui.core.plan import InferencePlan, build_plan, is_safe_dir

NEW = ["echomimic_v3", "soulx_flashhead", "infinitetalk", "liveavatar"]


def _script_args(plan: InferencePlan, spec: dict) -> list[str]:
    """The flags after the script, for `python <script>`, `python -m <module>` or
    `python -m torch.distributed.run [torchrun flags] <script>` (LiveAvatar)."""
    argv = plan.argv
    if argv[1:3] == ["-m", "torch.distributed.run"]:
        at = argv.index(f"{plan.values['repo']}/{spec['script']}")
        assert all(a.startswith("--") for a in argv[3:at]), "only torchrun's own flags before the script"
        return argv[at + 1 :]
    return _module_args(plan, spec)


def _args(plan: InferencePlan, name: str) -> tuple[list[str], object]:
    parser, spec = upstream_parser(name)
    args = _script_args(plan, spec)
    return args, _parse(parser, args)


def _include(catalog: Catalog, name: str) -> set[str]:
    """Every file a manifest's hf include-sets place, as a path relative to the clone."""
    out = set()
    for w in catalog.get(name).solution.weights:
        if w.hf and w.hf.include:
            out |= {f"{w.dest}/{f}" for f in w.hf.include}
        else:
            out.add(w.dest)
    return out


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
    _, spec = upstream_parser(name)
    assert spec["commit"] == sol.upstream.commit  # type: ignore[union-attr]
    assert sol.upstream.entry == spec["script"]  # type: ignore[union-attr]
    args, _ = _args(plan, name)
    assert _script_args(plan, spec) == args
    for arg in spec["arguments"]:
        if arg.get("required"):
            assert any(flag in args for flag in arg["flags"]), f"required {arg['flags']} missing"
    for value in args:
        if "/" in value and not value.startswith("-"):
            assert os.path.isabs(value), f"relative path {value!r} would depend on the cwd"
    for prepared in plan.inputs:
        assert is_safe_dir(Path(prepared.dest).parent) and Path(prepared.dest).name.count(".") == 1


@pytest.mark.parametrize("name", NEW)
def test_patch_counts_match_the_pinned_files(catalog: Catalog, name: str) -> None:
    counts = {p.id: p.count for p in catalog.get(name).solution.patches}
    assert counts == _spec(name)["patch_counts"]


@pytest.mark.parametrize("name", NEW)
def test_envs_pinned_for_sm80_sm89_sm90(catalog: Catalog, name: str) -> None:
    """torch >= 2.0 built with CUDA >= 11.8 in every profile (A100, RTX 40xx, H100 kernels); pip pins exact."""
    env = catalog.get(name).solution.env
    assert env is not None and env.torch and "torch" in env.verify_imports
    for key, profile in env.torch.items():
        assert _version(profile.torch) >= (2, 0) and _version(profile.cuda) >= (11, 8)
        assert key == "cu" + profile.cuda.replace(".", "") and profile.index_url.endswith("/whl/" + key)
    for req in [*env.pip, *env.pip_no_deps]:
        # A direct wheel URL (flash-attn's release wheel) pins its version in the file name.
        pinned = "==" in req or (" @ https://" in req and req.endswith(".whl"))
        assert pinned, f"{name}: {req!r} is not pinned"


# --- EchoMimicV3 Flash-Pro ---------------------------------------------------------------------------------------


def test_echomimic_v3_paths_output_and_length(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    plan = _plan(catalog, settings, tmp_path, "echomimic_v3")
    parser, spec = upstream_parser("echomimic_v3")
    args, ns = _args(plan, "echomimic_v3")
    repo = plan.values["repo"]
    # Defaults that do not work: a config file that does not exist, and transformer_path '' -> torch.load of
    # '<''>/checkpoint-50000.pth'.
    assert ns.config_path == f"{repo}/config/config.yaml" != parser.get_default("config_path")
    assert ns.config_path.removeprefix(repo + "/") in spec["repo_files"]
    assert ns.transformer_path.endswith(".safetensors")
    placed = _include(catalog, "echomimic_v3")
    for path in (ns.transformer_path, *(f"{ns.model_name}/{s}" for s in spec["model_subpaths"])):
        rel = os.path.relpath(path, repo)
        assert rel in placed or any(p.startswith(rel + "/") for p in placed), f"{rel} is not placed by setup"
    assert spec["teacache_substring"] in ns.model_name.lower()  # else TeaCache silently turns off
    assert {"config.json", "preprocessor_config.json"} <= {
        os.path.basename(p) for p in placed if p.startswith(os.path.relpath(ns.wav2vec_model_dir, repo))
    }
    # Output: save_path/<image name up to the first dot>_output.mp4, in a save_path that is new for every job
    # (an existing output makes the script print "Skip" and exit 0).
    stem = os.path.basename(ns.image_path).split(".")[0]
    assert plan.output_path == os.path.join(ns.save_path, stem + spec["output_suffix"])
    assert ns.save_path == plan.values["outdir"] and ns.save_path.startswith(plan.scratch + os.sep)
    # moviepy writes its temp audio into the cwd: the cwd is the job's own dir, not the shared clone.
    assert plan.cwd == plan.values["outdir"] and plan.exclusive_cwd is False
    # --video_length caps the frames (default 81 = 3.24 s): it covers the longest audio thtui accepts.
    sol = catalog.get("echomimic_v3").solution
    assert ns.video_length != parser.get_default("video_length")
    assert ns.video_length >= sol.inputs.max_audio_seconds * ns.fps  # type: ignore[operator]
    assert ns.fps == sol.inputs.fps and ns.sample_size == [768, 768] and ns.num_inference_steps == 8
    assert ns.ulysses_degree == 1 and ns.ring_degree == 1  # no process group on one GPU
    assert (ns.image_path, ns.audio_path) == (plan.values["image"], plan.values["audio"])


def test_echomimic_v3_prompt_default_and_override(
    catalog: Catalog, settings: Settings, tmp_path: Path
) -> None:
    sol = catalog.get("echomimic_v3").solution
    plan = _plan(catalog, settings, tmp_path, "echomimic_v3")
    _, ns = _args(plan, "echomimic_v3")
    assert ns.prompt == sol.infer.prompt == "A person is speaking."
    assert ns.negative_prompt == ""  # run_flash.sh; the default is a hands prompt for half-body video
    # An override reaches the script as one argv item, quotes and all (no shell in between), and changes nothing else.
    text = 'A woman says "hello" - calmly; $HOME stays literal'
    image, audio = (Path(p.source) for p in plan.inputs[:2])
    plan2 = build_plan(catalog.get("echomimic_v3"), settings, image, audio, run_id=RUN_ID, gpu=0, prompt=text)
    _, ns2 = _args(plan2, "echomimic_v3")
    assert ns2.prompt == text and plan2.argv.count(text) == 1
    assert [a if a != text else "P" for a in plan2.argv] == [
        a if a != sol.infer.prompt else "P" for a in plan.argv
    ]


# --- SoulX-FlashHead ---------------------------------------------------------------------------------------------


def test_soulx_flashhead_cwd_output_and_bool_flag(
    catalog: Catalog, settings: Settings, tmp_path: Path
) -> None:
    plan = _plan(catalog, settings, tmp_path, "soulx_flashhead")
    parser, spec = upstream_parser("soulx_flashhead")
    args, ns = _args(plan, "soulx_flashhead")
    repo = plan.values["repo"]
    # _validate_args() asserts after parsing: every asserted flag is given, the model type is known.
    for flag in spec["asserted_not_none"]:
        assert getattr(ns, flag.lstrip("-")) is not None
    assert ns.model_type in spec["model_types"] and ns.model_type == "pro"
    assert sum(getattr(ns, f.lstrip("-")) is not None for f in spec["one_of"]) == 1
    # --use_face_crop is type=bool: passing it at all (even "False") would turn it on, so it is never passed.
    assert "--use_face_crop" not in args and ns.use_face_crop is False
    assert parser.parse_args([*args, "--use_face_crop", "False"]).use_face_crop is True
    # infer_params.yaml is opened relative to the cwd at import: the cwd is the clone, where the file is.
    assert plan.cwd == repo
    # Output: exactly --save_file, absolute, one '.mp4' so the temp name differs from it.
    assert ns.save_file == plan.output_path and os.path.isabs(ns.save_file)
    assert (
        ns.save_file.count(".mp4") == 1 and ns.save_file.replace(".mp4", spec["tmp_suffix"]) != ns.save_file
    )
    assert (ns.cond_image, ns.audio_path) == (plan.values["image"], plan.values["audio"])
    placed = _include(catalog, "soulx_flashhead")
    for sub in spec["pro_paths"]:
        rel = os.path.relpath(f"{ns.ckpt_dir}/{sub}", repo)
        assert rel in placed or f"{rel}/*" in placed, f"{rel} is not placed by setup"
    wav2vec = os.path.relpath(ns.wav2vec_dir, repo)
    assert {f"{wav2vec}/config.json", f"{wav2vec}/preprocessor_config.json"} <= placed


# --- InfiniteTalk -----------------------------------------------------------------------------------------------


def test_infinitetalk_input_json_paths_and_output(
    catalog: Catalog, settings: Settings, tmp_path: Path
) -> None:
    plan = _plan(catalog, settings, tmp_path, "infinitetalk")
    parser, spec = upstream_parser("infinitetalk")
    args, ns = _args(plan, "infinitetalk")
    repo = plan.values["repo"]
    assert ns.task == "infinitetalk-14B" and ns.size in spec["supported_sizes"]
    # The per-job input file: exactly the keys generate() reads, the prepared inputs, the run's prompt.
    files = {f.path: f.content for f in plan.files}
    assert ns.input_json in files and ns.input_json.startswith(plan.scratch + os.sep)
    data = json.loads(files[ns.input_json])
    assert list(data) == spec["input_json_keys"] and list(data["cond_audio"]) == spec["cond_audio_keys"]
    assert (data["cond_video"], data["cond_audio"]["person1"]) == (plan.values["image"], plan.values["audio"])
    assert data["prompt"] == catalog.get("infinitetalk").solution.infer.prompt
    # Output: save_file + '.mp4' (appended), in this job's dir.
    assert ns.save_file + spec["save_suffix"] == plan.output_path
    # Traps: 'clip' renders 3.24 s; max_frame_num must cover the longest accepted audio; offload defaults to True.
    sol = catalog.get("infinitetalk").solution
    assert ns.mode == "streaming" != parser.get_default("mode")
    assert ns.max_frame_num >= sol.inputs.max_audio_seconds * sol.inputs.fps  # type: ignore[operator]
    assert ns.offload_model.lower() in spec["str2bool"]["falsy"]
    # Relative defaults would land in the clone or the cwd: the embeddings dir is the job's.
    assert ns.audio_save_dir.startswith(plan.scratch + os.sep)
    assert ns.audio_save_dir != parser.get_default("audio_save_dir")
    assert plan.cwd == plan.values["outdir"] and f"{plan.cwd}/tmp" in plan.mkdirs  # AV1 conversion -> ./tmp/
    # One rank per GPU of the job; sequence parallelism over exactly those ranks (1: the single-process path).
    gpus = sol.infer.gpus
    assert f"--nproc_per_node={gpus}" in plan.argv and "--standalone" in plan.argv
    assert ns.ulysses_size * ns.ring_size == gpus and spec["num_heads"] % ns.ulysses_size == 0
    assert not (ns.dit_fsdp or ns.t5_fsdp) or gpus > 1
    # Weights: the 7 hard-coded shards, the InfiniteTalk FILE, a wav2vec with safetensors.
    placed = _include(catalog, "infinitetalk")
    ckpt = os.path.relpath(ns.ckpt_dir, repo)
    shard_glob = next(p for p in placed if p.startswith(ckpt + "/diffusion_pytorch_model-"))
    for i in range(1, spec["dit_shards"] + 1):
        name = f"{ckpt}/diffusion_pytorch_model-{i:05d}-of-{spec['dit_shards']:05d}.safetensors"
        assert fnmatch.fnmatch(name, shard_glob)
    assert os.path.relpath(ns.infinitetalk_dir, repo) in placed and ns.infinitetalk_dir.endswith(
        ".safetensors"
    )
    assert f"{os.path.relpath(ns.wav2vec_dir, repo)}/model.safetensors" in placed


def test_infinitetalk_prompt_with_quotes_stays_valid_json(
    catalog: Catalog, settings: Settings, tmp_path: Path
) -> None:
    plan = _plan(catalog, settings, tmp_path, "infinitetalk")
    image, audio = (Path(p.source) for p in plan.inputs[:2])
    text = 'She says "hi" \\ then {laughs}: 你好'
    plan2 = build_plan(catalog.get("infinitetalk"), settings, image, audio, run_id=RUN_ID, gpu=0, prompt=text)
    data = json.loads(plan2.files[0].content)
    assert data["prompt"] == text and data["cond_video"] == plan2.values["image"]
    assert plan2.argv == plan.argv  # the prompt travels in the file, not on the command line


# --- LiveAvatar ------------------------------------------------------------------------------------------------


def test_liveavatar_torchrun_paths_and_traps(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    plan = _plan(catalog, settings, tmp_path, "liveavatar")
    parser, spec = upstream_parser("liveavatar")
    args, ns = _args(plan, "liveavatar")
    repo = plan.values["repo"]
    sol = catalog.get("liveavatar").solution
    # dist.init_process_group(env://) always: launched by torchrun, one rank per GPU of the job, on a free port.
    launcher = plan.argv[: plan.argv.index(f"{repo}/{spec['script']}")]
    assert launcher[:3] == [plan.values["python"], "-m", "torch.distributed.run"]
    assert "--standalone" in launcher and f"--nproc_per_node={sol.infer.gpus}" in launcher
    assert sol.infer.gpus == 1 < spec["min_multi_gpu_world_size"]  # upstream's multi-GPU mode needs exactly 5
    assert ns.single_gpu and ns.num_gpus_dit == 1 and not ns.enable_vae_parallel
    assert ns.task == spec["only_task"] != parser.get_default("task")
    # Defaults that would silently use the repo's examples (the white-cat prompt) are all given.
    for flag in spec["defaults_from_examples"]:
        assert getattr(ns, flag.lstrip("-")) is not None
    assert (ns.image, ns.audio, ns.prompt) == (plan.values["image"], plan.values["audio"], sol.infer.prompt)
    assert spec["multi_person_separator"] not in ns.audio  # '+' would switch to multi-person mode
    # The LoRA is a local absolute file placed by setup, never a hub id fetched at run time.
    assert os.path.isabs(ns.lora_path_dmd) and ns.load_lora
    placed = _include(catalog, "liveavatar")
    assert os.path.relpath(ns.lora_path_dmd, repo) in placed
    assert ns.training_config.removeprefix(repo + "/") in spec["repo_files"]
    # Output: --save_file exactly (the ./output/... default also splits lora_path_dmd).
    assert ns.save_file == plan.output_path and ns.save_file.startswith(plan.values["outdir"] + os.sep)
    assert ns.offload_model.lower() in spec["str2bool"]["falsy"]
    assert ns.fp8 is False  # FP8 matmuls need sm_89+; the profile also serves A100 (sm_80)
    assert plan.env[spec["compile_env"]] == "false"
    assert ns.ckpt_dir.startswith(repo + "/") and any(
        p.startswith(os.path.relpath(ns.ckpt_dir, repo) + "/wav2vec2-large-xlsr-53-english/") for p in placed
    )


def test_liveavatar_prompt_override_is_one_argv_item(
    catalog: Catalog, settings: Settings, tmp_path: Path
) -> None:
    plan = _plan(catalog, settings, tmp_path, "liveavatar")
    image, audio = (Path(p.source) for p in plan.inputs[:2])
    text = "A dwarf laughs; --fp8 stays text"
    plan2 = build_plan(catalog.get("liveavatar"), settings, image, audio, run_id=RUN_ID, gpu=0, prompt=text)
    _, ns2 = _args(plan2, "liveavatar")
    assert ns2.prompt == text and ns2.fp8 is False and plan2.argv.count(text) == 1


def test_infinitetalk_user_video_goes_to_cond_video(
    catalog: Catalog, settings: Settings, tmp_path: Path
) -> None:
    """cond_video takes a video too (video-to-video dubbing): with --video the per-job JSON names the re-encoded
    video, whose name has one dot and a video extension (upstream's is_video() decides by the extension)."""
    plan = _plan(catalog, settings, tmp_path, "infinitetalk")
    image, audio = (Path(p.source) for p in plan.inputs[:2])
    video = tmp_path / "my clip.v2.MOV"
    video.write_bytes(b"not really a video")
    plan2 = build_plan(catalog.get("infinitetalk"), settings, image, audio, run_id=RUN_ID, gpu=0, video=video)
    by_kind = {p.kind: p for p in plan2.inputs}
    data = json.loads(plan2.files[0].content)
    assert data["cond_video"] == by_kind["video"].dest == plan2.values["image"] != plan.values["image"]
    assert by_kind["video"].source == str(video.resolve())
    name = os.path.basename(data["cond_video"])
    assert name.count(".") == 1 and name.endswith(".mp4")


def test_generated_json_file_is_one_of_yaml_json_text() -> None:
    """`json:` (InfiniteTalk's --input_json) is a third way to write a per-job file; exactly one is given."""
    from pydantic import ValidationError

    from thtui.core.catalog.schema import GeneratedFile

    f = GeneratedFile.model_validate({"path": "in.json", "json": {"prompt": "{prompt}"}})
    assert f.json_doc == {"prompt": "{prompt}"} and f.template() == {"prompt": "{prompt}"}
    for bad in ({"path": "x", "json": {}, "text": "t"}, {"path": "x", "json": {}, "yaml": {}}, {"path": "x"}):
        with pytest.raises(ValidationError, match="exactly one of yaml, json, text"):
            GeneratedFile.model_validate(bad)


def test_an_outputs_dir_with_a_plus_never_reaches_liveavatar(catalog, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A '+' anywhere in LiveAvatar's --audio path switches it to multi-person mode: a job dir with a '+'
    gets its prepared inputs in the safe scratch dir instead."""
    from thtui.core.config import repo_root

    job_dir = tmp_path / "runs+old" / "run" / "liveavatar"
    assets = repo_root() / "assets"
    plan = build_plan(
        catalog.get("liveavatar"), settings, assets / "portrait.jpg", assets / "speech.wav", job_dir=job_dir
    )
    audio = plan.argv[plan.argv.index("--audio") + 1]
    assert "+" not in audio, audio
