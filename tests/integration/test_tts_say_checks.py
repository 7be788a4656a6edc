"""`thtui say` refuses nonsense with one clear line instead of writing it (issue 10 item 5)."""

from __future__ import annotations

import pytest

from thtui.cli import main
from thtui.core.media.errors import InputError
from thtui.core.tts.script import check_voice_reads, voice_language


def test_text_starting_with_a_dash_gets_the_double_dash_hint(settings, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["say", "-hello", "-o", str(tmp_path / "a.wav")])
    assert exc.value.code == 2
    assert "goes after --" in capsys.readouterr().err  # was only "ignored explicit argument 'ello'"


def test_output_that_is_a_folder_is_refused(settings, capsys, tmp_path):
    folder = tmp_path / "speech"
    folder.mkdir()
    assert main(["say", "hello", "-o", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"speech file {folder} is a folder" in err and "Traceback" not in err
    assert not (tmp_path / "speech.wav").exists()  # was: wrote speech.wav beside it, exit 0


def test_output_where_nothing_can_be_written(settings, capsys):
    assert main(["say", "hello", "-o", "/proc/thtui-test.wav"]) == 2  # was OSError traceback
    err = capsys.readouterr().err
    assert "/proc" in err and "Traceback" not in err


@pytest.mark.parametrize("scale", ["0", "-1", "100"])
def test_length_scale_out_of_range_is_refused(settings, capsys, tmp_path, scale):
    out = tmp_path / "a.wav"
    assert main(["say", "hello", "--length-scale", scale, "-o", str(out)]) == 2  # was exit 0, 0.01 s of audio
    assert "length_scale" in capsys.readouterr().err
    assert not out.exists()


def test_arabic_through_the_english_voice_is_refused_naming_voices_that_can(settings, capsys, tmp_path):
    out = tmp_path / "a.wav"
    assert main(["say", "مرحبا بكم في هذا الاختبار", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "Arabic script" in err and "ar_JO" in err
    assert not out.exists()


def test_script_check_lets_mixed_and_unknown_cases_through():
    check_voice_reads("Meet Zoë and 李 at the café, twice!", "piper", None)  # a foreign name is fine
    check_voice_reads("Привет, как дела?", "piper", "ru_RU-irina-medium")
    check_voice_reads("مرحبا", "coqui", "tts_models/multilingual/multi-dataset/xtts_v2")  # multilingual
    assert voice_language("piper", "de_DE-thorsten-medium") == "de"
    with pytest.raises(InputError, match="Cyrillic"):
        check_voice_reads("Привет, как дела?", "piper", "en_US-lessac-medium")
