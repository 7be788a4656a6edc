"""One list of input formats for the TUI and the CLI, one validator for `run` and `check-inputs`, and a
huge portrait scaled down once for the baselines (issue 10 item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_factory import PORTRAIT, SPEECH, make_video
from PIL import Image

from thtui.cli import main
from thtui.core.catalog.schema import ImagePrep
from thtui.core.input_formats import AUDIO_SUFFIXES, IMAGE_SUFFIXES
from thtui.core.inputs import MAX_LONG_SIDE, prepare_image


def test_the_tui_picker_offers_what_the_cli_accepts():
    from thtui.tui.widgets import file_picker

    assert file_picker.IMAGE_SUFFIXES is IMAGE_SUFFIXES
    assert file_picker.AUDIO_SUFFIXES is AUDIO_SUFFIXES
    assert {".gif"} <= IMAGE_SUFFIXES and {".opus", ".mp4"} <= AUDIO_SUFFIXES  # the picker refused these


def test_gif_and_mp4_audio_pass_check_inputs(settings, tmp_path, capsys):
    gif = tmp_path / "face.gif"
    Image.open(PORTRAIT).convert("P").save(gif)
    video = make_video(tmp_path / "talk.mp4", seconds=1.0)
    assert main(["check-inputs", "--image", str(gif), "--audio", str(video)]) == 0
    assert "image ok" in capsys.readouterr().out


def test_an_extension_outside_the_list_is_refused_by_both(settings, tmp_path, capsys):
    odd = tmp_path / "face.xyz"
    odd.write_bytes(PORTRAIT.read_bytes())
    assert main(["check-inputs", "--image", str(odd), "--audio", str(SPEECH)]) == 2
    err = capsys.readouterr().err
    assert "has extension .xyz" in err and ".png" in err


def _same_message(capsys, bad: Path, needle: str) -> None:
    assert main(["check-inputs", "--image", str(bad), "--audio", str(SPEECH)]) == 2
    checked = capsys.readouterr().err.strip().removeprefix("thtui: ")
    assert main(["run", "static", "--image", str(bad), "--audio", str(SPEECH)]) == 2
    ran = capsys.readouterr().err
    assert needle in checked
    assert checked in ran  # run says the same thing (was "image not found")
    assert "image not found" not in ran


def test_a_folder_as_image_reads_the_same_in_run_and_check_inputs(settings, tmp_path, capsys):
    folder = tmp_path / "portraits.png"
    folder.mkdir()
    _same_message(capsys, folder, "is a directory")


def test_a_symlink_loop_as_image_reads_the_same_in_run_and_check_inputs(settings, tmp_path, capsys):
    loop = tmp_path / "loop.png"
    loop.symlink_to(loop)
    _same_message(capsys, loop, str(loop))


@pytest.fixture
def huge_portrait(tmp_path) -> Path:
    big = tmp_path / "big.png"
    Image.open(PORTRAIT).convert("RGB").resize((4000, 3000)).save(big, compress_level=1)
    return big


def test_check_inputs_notes_a_huge_portrait(settings, capsys, huge_portrait):
    assert main(["check-inputs", "--image", str(huge_portrait), "--audio", str(SPEECH)]) == 0
    out = capsys.readouterr().out
    assert "4000x3000 is far above what any system uses" in out and f"{MAX_LONG_SIDE} px" in out


def test_a_huge_portrait_is_scaled_down_once_for_the_baseline(tmp_path, huge_portrait):
    dest = tmp_path / "prepared.png"
    done = prepare_image(huge_portrait, dest, ImagePrep(format="png", crop="none"), solution="static")
    with Image.open(dest) as img:
        assert img.size == (MAX_LONG_SIDE, 1536)  # was 4000x3000 into an H.264 encode
    assert any("scaled down from 4000x3000" in s for s in done.steps)
