"""`thtui say` as a user runs it: real Piper speech, one-line errors, exit codes."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest

from thtui.cli import main
from thtui.core.config import Settings


def test_say_writes_wav_and_provenance(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "new dir" / "héllo 'world'.wav"
    assert main(["say", "Hello world. Nice to meet you.", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"wrote {out}: ") and "piper voice en_US-joe-medium (synthesised at" in text
    assert f"provenance: {out}.json" in text
    with wave.open(str(out)) as wf:
        assert wf.getnframes() / wf.getframerate() > 1.0
    assert json.loads(Path(f"{out}.json").read_text())["backend"] == "piper"
    assert main(["say", "Hello world. Nice to meet you.", "-o", str(tmp_path / "again.wav")]) == 0
    assert "(from cache)" in capsys.readouterr().out


def test_say_json_and_mp3(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["say", "Short.", "-o", str(tmp_path / "s.mp3"), "--json", "--length-scale", "0.9"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["path"] == str(tmp_path / "s.mp3") and data["backend"] == "piper" and data["duration_s"] > 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["say", "   "], "thtui: text is empty: give the words to speak"),
        (
            ["say", "x" * 21, "--max-chars", "20"],
            "thtui: text is 21 characters; the limit is 20 (about 1 second of speech)",
        ),
        (["say", "Hi", "--tts", "coqui"], "thtui: Coqui is not installed: run `thtui setup coqui-tts`"),
        (
            ["say", "Hi", "--tts", "coqui", "--voice", "tts_models/multilingual/multi-dataset/xtts_v2"],
            "thtui: XTTS weights are licensed under the Coqui Public Model License (CPML): non-commercial use only",
        ),
        (
            ["say", "Hi", "--voice", "nobody"],
            "thtui: not a Piper voice name: 'nobody'; voices that work offline here: en_US-joe-medium "
            "(bundled, the default). Other Piper voices need a one-time download",
        ),
        (
            ["say", "Hi", "--speaker", "x"],
            "thtui: --speaker/--language/--speaker-wav are Coqui options; add --tts coqui",
        ),
    ],
)
def test_say_errors_are_one_line(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture, argv: list[str], message: str
) -> None:
    out = tmp_path / "x.wav"
    assert main([*argv, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_say_unknown_extension(settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["say", "Hi.", "-o", str(tmp_path / "x.xyz")]) == 2
    assert "unsupported audio extension '.xyz'" in capsys.readouterr().err
    assert not (tmp_path / "x.xyz").exists()
