"""`thtui check-inputs`: what a new user sees for good and bad files."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_factory import PORTRAIT, SPEECH, make_blank_image, make_silence, make_text_file

from thtui.cli import main
from thtui.core.config import Settings


def test_good_inputs(settings: Settings, capsys: pytest.CaptureFixture) -> None:
    assert main(["check-inputs", "--image", str(PORTRAIT), "--audio", str(SPEECH)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"image ok: {PORTRAIT} (JPEG 512x512)"
    assert out[1].startswith(f"audio ok: {SPEECH} (pcm_s16le, 16000 Hz, 1 ch, 5.90 s, peak ")


def test_bad_image_and_audio(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    note = make_text_file(tmp_path / "face.png")
    assert main(["check-inputs", "--image", str(note), "--audio", str(SPEECH)]) == 2
    assert capsys.readouterr().err == f"thtui: not an image: {note} (it contains text, not image data)\n"
    quiet = make_silence(tmp_path / "quiet.wav")
    assert main(["check-inputs", "--image", str(PORTRAIT), "--audio", str(quiet)]) == 2
    assert capsys.readouterr().err == (
        f"thtui: audio is silent: {quiet} (peak level -inf dBFS; speech needs at least -50 dBFS)\n"
    )


def test_per_solution_face_check_and_prepare(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    sol = tmp_path / "sols" / "facey"
    sol.mkdir(parents=True)
    sol.joinpath("solution.yaml").write_text(
        (Path(settings.solutions_dir) / "static" / "solution.yaml")
        .read_text()
        .replace("name: static", "name: facey")
        .replace("crop: none", "crop: face\n    size: 256\n    face_required: true")
    )
    common = ["--solutions-dir", str(tmp_path / "sols"), "--solution", "facey"]
    prep = tmp_path / "prepared"
    assert (
        main(
            [
                "check-inputs",
                "--image",
                str(PORTRAIT),
                "--audio",
                str(SPEECH),
                *common,
                "--prepare",
                str(prep),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "facey: inputs ok; face at (" in out and f"image: {prep}/facey/inputs/image.png" in out
    blank = make_blank_image(tmp_path / "wall.png")
    assert main(["check-inputs", "--image", str(blank), "--audio", str(SPEECH), *common]) == 2
    assert capsys.readouterr().err.startswith(
        f"thtui: no face detected in {blank}: facey needs a clearly visible"
    )


@pytest.mark.parametrize("name", ["sadtalker", "wav2lip"])
def test_systems_that_detect_a_face_themselves_refuse_a_faceless_image(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture, name: str
) -> None:
    """SadTalker (RetinaFace crop) and Wav2Lip (S3FD) fail deep inside upstream without a face; the real
    catalog says face_required, so check-inputs refuses before any GPU time is spent."""
    green = make_blank_image(tmp_path / "green.png", color=(0, 200, 0))
    assert main(["check-inputs", "--image", str(green), "--audio", str(SPEECH), "--solution", name]) == 2
    captured = capsys.readouterr()
    assert f"{name}: inputs ok" not in captured.out
    assert captured.err.startswith(
        f"thtui: no face detected in {green}: {name} needs a clearly visible, roughly frontal face"
    )
    assert main(["check-inputs", "--image", str(PORTRAIT), "--audio", str(SPEECH), "--solution", name]) == 0
    assert f"{name}: inputs ok; face at (" in capsys.readouterr().out
