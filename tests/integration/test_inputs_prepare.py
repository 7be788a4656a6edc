"""prepare_inputs: per-system preparation driven by the manifest, atomic, rolled back on failure, and
never touching the user's own files."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
import yaml
from media_factory import (
    PORTRAIT,
    SPEECH,
    file_state,
    make_blank_image,
    make_drawn_face,
    make_portrait,
    make_speech_wav,
)
from PIL import Image

from thtui.core import faces, inputs
from thtui.core.catalog import Catalog, LoadedSolution, load_manifest
from thtui.core.config import Settings
from thtui.core.events import Collector
from thtui.core.inputs import InputError, InputPrepared, check_inputs, prepare_inputs
from thtui.core.media import probe
from thtui.core.plan import build_plan


def make_solution(root: Path, name: str, inputs_yaml: dict) -> LoadedSolution:
    """A builtin manifest whose `inputs` section is `inputs_yaml` (the prep logic only reads that)."""
    data = {
        "name": name,
        "title": name,
        "summary": "test",
        "kind": "builtin",
        "license": {"code": "MIT", "weights": "none", "commercial": "yes"},
        "needs_gpu": False,
        "inputs": inputs_yaml,
        "infer": {"argv": ["{python}", "-c", "pass", "{image}", "{audio}"], "output": {"path": "{output}"}},
        "estimates": {"vram_gb": 0, "sec_per_sec": 1, "disk_gb": 0, "source": "test"},
    }
    path = root / name / "solution.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data))
    return load_manifest(path)


AUDIO2HEAD = {"image": {"format": "png", "size": 256, "crop": "face", "face_required": True}}
ECHOMIMIC = {"image": {"format": "png", "size": 512, "crop": "face"}, "max_audio_seconds": 8}
WAV2LIP = {"image": {"format": "jpg", "crop": "none", "single_dot_name": True}}
STILL = {"image": {"format": "png", "crop": "center", "size": 128}, "still_video": True, "fps": 25}


def _plan(sol: LoadedSolution, settings: Settings, image: Path, audio: Path, job: Path | None = None):
    return build_plan(
        sol, settings, image, audio, run_id="r1", job_dir=job or settings.outputs_dir / "r1" / sol.name
    )


def _face_centre_offset(path: Path) -> float:
    img = Image.open(path).convert("RGB")
    face = faces.best_face(img)
    assert face is not None, f"no face in the prepared crop {path}"
    cx, cy = face.center
    return max(abs(cx - img.width / 2), abs(cy - img.height / 2)) / img.width


def test_audio2head_square_256_face_crop(tmp_path: Path, settings: Settings) -> None:
    sol = make_solution(tmp_path / "sol", "a2h", AUDIO2HEAD)
    plan = _plan(sol, settings, PORTRAIT, SPEECH)
    events = Collector()
    out = prepare_inputs(plan, sol, sink=events)
    image, audio = out
    assert Path(image.path) == Path(plan.values["image"]) and Path(image.path).is_file()
    with Image.open(image.path) as im:
        assert (im.format, im.size, im.mode) == ("PNG", (256, 256), "RGB")
    assert _face_centre_offset(Path(image.path)) < 0.12  # the head is centred in the square
    assert any("around the detected face" in s for s in image.steps)
    with wave.open(audio.path) as wf:
        assert (wf.getframerate(), wf.getnchannels(), wf.getsampwidth()) == (16000, 1, 2)
    assert [e.kind for e in events.of(InputPrepared)] == ["image", "audio"]


def test_echomimic_512_head_crop_of_a_drawn_face(tmp_path: Path, settings: Settings) -> None:
    sol = make_solution(tmp_path / "sol", "echo", ECHOMIMIC)
    src = make_drawn_face(tmp_path / "cartoon.png", 384)
    image, _ = prepare_inputs(_plan(sol, settings, src, SPEECH), sol)
    assert Image.open(image.path).size == (512, 512)
    assert image.details["face"]["width"] > 100


def test_wav2lip_single_dot_name_and_even_size(tmp_path: Path, settings: Settings) -> None:
    sol = make_solution(tmp_path / "sol", "w2l", WAV2LIP)
    src = tmp_path / "My.Photo.FINAL.JPG"
    Image.open(PORTRAIT).convert("RGB").resize((301, 257)).save(src, format="JPEG")
    # A job dir with dots and spaces: the plan moves scratch to a safe place, prep writes there.
    plan = _plan(sol, settings, src, SPEECH, job=tmp_path / "out v1.2" / "w2l")
    image, _ = prepare_inputs(plan, sol)
    assert str(image.path).count(".") == 1 and image.path.endswith(".jpg")
    with Image.open(image.path) as im:
        assert (im.format, im.size) == ("JPEG", (300, 256))


def test_still_video_lasts_as_long_as_the_audio(tmp_path: Path, settings: Settings) -> None:
    sol = make_solution(tmp_path / "sol", "still", STILL)
    audio = make_speech_wav(tmp_path / "a.wav", 1.6, rate=44100)
    out = prepare_inputs(_plan(sol, settings, PORTRAIT, audio), sol)
    assert [p.kind for p in out] == ["image", "audio", "still_video"]
    info = probe(out[2].path)
    assert (info.video.codec, info.video.pix_fmt, info.video.width, info.video.fps) == (
        "h264",
        "yuv420p",
        128,
        25,
    )
    assert info.duration_s == pytest.approx(1.6, abs=0.05)


def test_no_face_is_refused_before_anything_is_written(tmp_path: Path, settings: Settings) -> None:
    sol = make_solution(tmp_path / "sol", "a2h", AUDIO2HEAD)
    blank = make_blank_image(tmp_path / "wall.png")
    plan = _plan(sol, settings, blank, SPEECH)
    with pytest.raises(InputError) as info:
        prepare_inputs(plan, sol)
    assert str(info.value) == (
        f"no face detected in {blank}: a2h needs a clearly visible, roughly frontal face "
        f"(detector: {faces.detector_name()})"
    )
    assert info.value.code == "no_face"
    assert not Path(plan.scratch).exists()


def test_optional_face_crop_falls_back_to_centre(tmp_path: Path, settings: Settings) -> None:
    sol = make_solution(tmp_path / "sol", "soft", {"image": {"crop": "face", "size": 96}})
    image, _ = prepare_inputs(
        _plan(sol, settings, make_blank_image(tmp_path / "b.png", (200, 100)), SPEECH), sol
    )
    assert "no face found: cropped the centred square 100px" in image.steps
    assert Image.open(image.path).size == (96, 96)


def test_failure_midway_removes_what_was_written(tmp_path: Path, settings: Settings, monkeypatch) -> None:
    sol = make_solution(tmp_path / "sol", "a2h", AUDIO2HEAD)
    plan = _plan(sol, settings, PORTRAIT, SPEECH)

    def broken_audio(*args, **kwargs):
        assert Path(plan.values["image"]).is_file()  # the image was already written...
        raise OSError("disk full")

    monkeypatch.setattr(inputs, "prepare_audio", broken_audio)
    with pytest.raises(OSError, match="disk full"):
        prepare_inputs(plan, sol)
    assert not Path(plan.values["image"]).exists()  # ...and is gone again
    assert not Path(plan.scratch).exists()


def test_users_files_are_never_modified(tmp_path: Path, settings: Settings) -> None:
    sol = make_solution(tmp_path / "sol", "a2h", AUDIO2HEAD)
    image = make_portrait(tmp_path / "me 'quoted' $(x).jpg")
    audio = make_speech_wav(tmp_path / "voice ünïcode; rm.wav", 1.0)
    before = [file_state(image), file_state(audio)]
    prepare_inputs(_plan(sol, settings, image, audio), sol)
    assert [file_state(image), file_state(audio)] == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == sorted([image.name, audio.name])


def test_manifest_audio_limit_is_named(tmp_path: Path, settings: Settings) -> None:
    sol = make_solution(tmp_path / "sol", "echo", ECHOMIMIC)
    audio = make_speech_wav(tmp_path / "long.wav", 9.0)
    with pytest.raises(InputError) as info:
        check_inputs(sol, PORTRAIT, audio)
    assert str(info.value) == (
        f"audio is too long: {audio} is 9.0 s; the limit is 8 s for echo (trim it, or raise THTUI_MAX_AUDIO_SECONDS)"
    )


def test_every_catalog_solution_prepares_the_sample_assets(tmp_path: Path, settings: Settings) -> None:
    catalog = Catalog.load(settings.solutions_dir)
    assert len(catalog) >= 1
    for sol in catalog:
        plan = _plan(sol, settings, PORTRAIT, SPEECH)
        out = prepare_inputs(plan, sol)
        assert [p.path for p in out] == [i.dest for i in plan.inputs], sol.name
        prep = sol.solution.inputs.image
        with Image.open(out[0].path) as im:
            assert im.format == {"png": "PNG", "jpg": "JPEG"}[prep.format], sol.name
            if prep.size:
                assert im.size == (prep.size, prep.size), sol.name
            assert im.width % 2 == 0 and im.height % 2 == 0, sol.name
