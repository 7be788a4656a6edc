"""The real catalog, the facts each manifest must carry, and how broken manifests are reported."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from thtui.cli import main
from thtui.core.catalog import Catalog, ManifestError
from thtui.core.catalog.loader import CatalogError, load_manifest
from thtui.core.catalog.schema import Weight
from thtui.core.config import repo_root

SOLUTIONS = repo_root() / "solutions"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "manifests"
UPSTREAM = ["audio2head", "echomimic", "sadtalker", "v_express", "wav2lip"]
# The 2025-26 systems: their upstream facts are checked in tests/unit/test_plans_2025.py.
NEW_2025 = ["ditto", "float", "latentsync", "musetalk", "sonic"]
# Second batch, checked in tests/unit/test_plans_2025b.py.
NEW_2025 += ["echomimic_v3", "infinitetalk", "liveavatar", "soulx_flashhead"]

# Pinned commits named in shared/upstream/*.md (short form) and the licence verdicts there.
COMMIT_PREFIX = {
    "sadtalker": "cd4c0465",
    "wav2lip": "5c90fa9b",
    "audio2head": "09e9b431",
    "echomimic": "a53e970",
    "v_express": "6814f7d",
}
COMMERCIAL = {
    "sadtalker": "yes",
    "wav2lip": "no",
    "audio2head": "unknown",
    "echomimic": "yes",
    "v_express": "no",
}
SHELLS_OUT_TO_FFMPEG = {"sadtalker", "wav2lip", "audio2head", "echomimic"}


def _version(pin: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", pin.split("+")[0])[:3])


def _pins(pip: list[str]) -> dict[str, str]:
    out = {}
    for req in pip:
        name, _, version = req.partition("==")
        out[name.lower().replace("_", "-")] = version
    return out


# --- the real catalog ---------------------------------------------------------------------------------------


def test_real_catalog_has_the_six_solutions_builtins_last(catalog: Catalog) -> None:
    assert catalog.names() == [*sorted(UPSTREAM + NEW_2025), "jawflap", "static"]
    assert catalog.get("static").solution.kind == "builtin"


@pytest.mark.parametrize("manifest", sorted(SOLUTIONS.glob("*/solution.yaml")), ids=lambda p: p.parent.name)
def test_every_manifest_validates(manifest: Path) -> None:
    loaded = load_manifest(manifest)
    assert loaded.name == manifest.parent.name
    assert re.fullmatch(r"[0-9a-f]{16}", loaded.digest)


@pytest.mark.parametrize("name", UPSTREAM)
def test_upstream_pin_licence_and_entry(catalog: Catalog, name: str) -> None:
    sol = catalog.get(name).solution
    assert sol.upstream is not None
    assert re.fullmatch(r"[0-9a-f]{40}", sol.upstream.commit), "shallow fetch by sha needs the full commit"
    assert sol.upstream.commit.startswith(COMMIT_PREFIX[name])
    assert sol.upstream.repo.startswith("https://github.com/") and sol.upstream.repo.endswith(".git")
    assert sol.infer.argv[1] == "{repo}/" + sol.upstream.entry
    assert sol.license.commercial == COMMERCIAL[name]
    assert sol.license.notes, "the licence verdict needs its reasons"


@pytest.mark.parametrize("name", UPSTREAM)
def test_env_runs_on_modern_gpus(catalog: Catalog, name: str) -> None:
    env = catalog.get(name).solution.env
    assert env is not None
    assert {"cu118", "cu121"} <= set(env.torch)
    for profile in env.torch.values():
        # sm_89 (RTX 40xx) and sm_90 (H100) kernels: torch >= 2.0 built with CUDA >= 11.8.
        assert _version(profile.torch) >= (2, 0)
        assert _version(profile.cuda) >= (11, 8)
        assert profile.index_url.endswith("/whl/" + ("cu" + profile.cuda.replace(".", "")))
    pins = _pins(env.pip)
    assert all(version for version in pins.values()), f"every pip requirement is pinned: {env.pip}"
    assert _version(pins["numpy"]) < (2,), "torch <= 2.2 is built against numpy 1.x"
    assert ("ffmpeg" in env.conda) == (name in SHELLS_OUT_TO_FFMPEG)
    assert env.verify_imports and "torch" in env.verify_imports


def test_upper_pins_from_known_breakages(catalog: Catalog) -> None:
    sadtalker = catalog.get("sadtalker").solution
    for profile in sadtalker.env.torch.values():  # type: ignore[union-attr]
        assert _version(profile.torch) < (2, 6), "weights_only default rejects mapping_*.pth.tar"
        assert _version(profile.torchvision or "0") <= (0, 16, 99), "basicsr imports functional_tensor"
    assert any(
        p.target == "site-packages" and p.path == "basicsr/data/degradations.py" for p in sadtalker.patches
    )
    echomimic = catalog.get("echomimic").solution
    for profile in echomimic.env.torch.values():  # type: ignore[union-attr]
        assert _version(profile.torch) <= (2, 2, 2)
    pins = _pins(echomimic.env.pip)  # type: ignore[union-attr]
    assert _version(pins["huggingface-hub"]) < (0, 26), "diffusers 0.24 imports cached_download"
    assert pins["moviepy"] == "1.0.3" and pins["diffusers"] == "0.24.0"
    vexpress = _pins(catalog.get("v_express").solution.env.pip)  # type: ignore[union-attr]
    assert {"accelerate", "opencv-python-headless"} <= set(vexpress), (
        "imported by inference.py but unlisted upstream"
    )
    assert "imageio-ffmpeg" in _pins(catalog.get("audio2head").solution.env.pip)  # type: ignore[union-attr]
    wav2lip = catalog.get("wav2lip").solution
    assert any("librosa.filters.mel(" in p.find and "sr=" in p.replace for p in wav2lip.patches)


@pytest.mark.parametrize("name", UPSTREAM)
def test_weights_patches_and_failures_are_complete(catalog: Catalog, name: str) -> None:
    sol = catalog.get(name).solution
    assert sol.weights
    for w in sol.weights:
        snapshot = w.hf is not None and w.hf.include is not None
        assert snapshot or w.sha256 or w.size or w.min_size
    for p in sol.patches:
        assert p.count is not None, f"{p.id}: the expected count catches upstream drift"
    classes = {f.failure for f in sol.failures}
    assert {"out_of_memory", "cuda_arch_mismatch", "missing_weights", "missing_dependency"} <= classes
    assert sol.estimates.source and re.search(r"#\d+|README", sol.estimates.source)
    assert sol.notes


def test_full_hashes_where_upstream_mirrors_publish_them(catalog: Catalog) -> None:
    # Prefix and suffix as given in shared/upstream/sadtalker-wav2lip-audio2head.md.
    expected = {
        "checkpoints/SadTalker_V0.0.2_256.safetensors": ("c211f5d6", "77bff"),
        "checkpoints/mapping_00229-model.pth.tar": ("62a1e060", "83f1"),
        "gfpgan/weights/detection_Resnet50_Final.pth": ("6d1de9c2", "a16d"),
        "checkpoints/wav2lip_gan.pth": ("ca9ab7b7", "c3d8"),
        "face_detection/detection/sfd/s3fd.pth": ("619a3168", "3543"),
    }
    weights = {w.dest: w for n in ("sadtalker", "wav2lip") for w in catalog.get(n).solution.weights}
    for dest, (head, tail) in expected.items():
        sha = weights[dest].sha256 or ""
        assert sha.startswith(head) and sha.endswith(tail), dest
    optional = {w.dest for w in weights.values() if w.optional}
    assert {"gfpgan/weights/GFPGANv1.4.pth", "checkpoints/SadTalker_V0.0.2_512.safetensors"} <= optional


@pytest.mark.parametrize(
    ("name", "failure", "log_line"),
    [
        ("sadtalker", "face_not_detected", "TypeError: exceptions must derive from BaseException"),
        (
            "wav2lip",
            "face_not_detected",
            "ValueError: Face not detected! Ensure the video contains a face in all the frames.",
        ),
        ("wav2lip", "missing_weights", "KeyError: 'state_dict'"),
        ("v_express", "face_not_detected", "    reference_kps = app.get(reference_image_for_kps)[0].kps[:3]"),
        (
            "audio2head",
            "missing_dependency",
            "FileNotFoundError: [Errno 2] No such file or directory: './results/temp.wav'",
        ),
        (
            "echomimic",
            "missing_dependency",
            "ImportError: cannot import name 'cached_download' from 'huggingface_hub'",
        ),
        (
            "echomimic",
            "out_of_memory",
            "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
        ),
        (
            "sadtalker",
            "cuda_arch_mismatch",
            "RuntimeError: CUDA error: no kernel image is available for execution on the device",
        ),
        ("audio2head", "missing_weights", "_pickle.UnpicklingError: invalid load key, '<'."),
    ],
)
def test_failure_patterns_match_real_upstream_messages(
    catalog: Catalog, name: str, failure: str, log_line: str
) -> None:
    sol = catalog.get(name).solution
    first = next((f for f in sol.failures if re.search(f.pattern, log_line)), None)
    assert first is not None and first.failure == failure, f"{log_line!r} -> {first}"


# --- broken manifests ---------------------------------------------------------------------------------------

BROKEN = [
    ("unknown_field", "weights[0].sha265", "unknown field"),
    ("bad_sha256", "weights[0].sha256", "must be 64 lower-case hex characters"),
    ("unknown_placeholder", "infer", "argv[3]: unknown placeholder(s) ['imgae']"),
    ("two_weight_sources", "weights[0]", "give exactly one of hf, url, gdrive"),
    ("builtin_with_env", "", "a builtin solution has no upstream, env, weights or patches"),
    ("name_mismatch", "name", "'some_other_name' must match its directory 'name_mismatch'"),
    ("invalid_yaml", "line 8, column 9", "not valid YAML"),
    ("bad_regex", "failures[0].pattern", "not a valid regular expression"),
    ("prompt_without_default", "infer", "argv[5] uses {prompt} but infer.prompt"),
]


@pytest.mark.parametrize(("case", "field", "reason"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_manifest_names_file_field_and_reason(case: str, field: str, reason: str) -> None:
    path = FIXTURES / case / "solution.yaml"
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    err = info.value
    assert err.path == path
    assert any(f == field and reason in r for f, r in err.problems), err.problems
    text = str(err)
    assert str(path) in text and reason in text and (field or "(top level)") in text


def test_good_fixture_validates() -> None:
    loaded = load_manifest(FIXTURES / "good_minimal" / "solution.yaml")
    assert loaded.solution.weights[0].sha256 == "0" * 64


def test_catalog_reports_every_broken_manifest_at_once() -> None:
    with pytest.raises(CatalogError) as info:
        Catalog.load(FIXTURES)
    broken = {e.path.parent.name for e in info.value.errors}
    assert broken == {case for case, _, _ in BROKEN}


def test_weight_without_any_check_is_refused_and_min_size_is_the_last_resort() -> None:
    with pytest.raises(ValueError, match="give sha256"):
        Weight.model_validate({"dest": "checkpoints/a.pth", "gdrive": "abc"})
    w = Weight.model_validate({"dest": "checkpoints/a.pth", "gdrive": "abc", "min_size": 100_000_000})
    assert w.min_size == 100_000_000
    with pytest.raises(ValueError, match="include-set"):
        Weight.model_validate({"dest": "d", "hf": {"repo": "a/b", "include": ["*"]}, "min_size": 1})


# --- the CLI over the real catalog --------------------------------------------------------------------------


def test_cli_list_json(settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert list(rows) == [*sorted(UPSTREAM + NEW_2025), "jawflap", "static"]
    assert rows["wav2lip"]["commercial"] == "no" and rows["audio2head"]["commercial"] == "unknown"
    assert rows["sadtalker"]["upstream"] == "https://github.com/OpenTalker/SadTalker.git@cd4c0465"
    assert rows["echomimic"]["status"] == "not installed"
    assert rows["static"]["needs_gpu"] is False


def test_cli_plan_json_and_text(settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "my face.v2 ü.PNG"
    audio = tmp_path / "take 1.final.WAV"
    image.write_bytes(b"png")
    audio.write_bytes(b"wav")
    assert main(["plan", "wav2lip", "--image", str(image), "--audio", str(audio), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    face = plan["argv"][plan["argv"].index("--face") + 1]
    assert face.count(".") == 1 and face.endswith(".png")
    assert plan["inputs"][0]["source"] == str(image.resolve())

    assert main(["plan", "echomimic", "--image", str(image), "--audio", str(audio)]) == 0
    out = capsys.readouterr().out
    assert "infer_audio2vid.py --config" in out and "test_cases:" in out and "_withaudio.mp4" in out


def test_cli_plan_unknown_solution(settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"png")
    assert main(["plan", "nope", "--image", str(image), "--text", "hi"]) == 2
    assert "unknown solution 'nope'" in capsys.readouterr().err
