"""`thtui plan --video` and `thtui check-inputs --video`: the video source through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from media_factory import make_portrait, make_speech_wav, make_video

from thtui.cli import main
from thtui.core.media import probe, still_to_video


def test_plan_video_puts_the_video_where_the_still_video_goes(
    settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = make_video(tmp_path / "clip.mp4", 1.0)
    audio = make_speech_wav(tmp_path / "s.wav")
    assert main(["plan", "latentsync", "--video", str(video), "--audio", str(audio), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    kinds = {i["kind"]: i for i in plan["inputs"]}
    assert kinds["video"]["source"] == str(video.resolve())
    assert plan["argv"][plan["argv"].index("--video_path") + 1] == kinds["video"]["dest"]


def test_plan_video_gives_a_portrait_system_the_first_frame(settings, tmp_path: Path, capsys) -> None:
    video = make_video(tmp_path / "clip.mp4", 1.0)
    rc = main(
        ["plan", "sadtalker", "--video", str(video), "--audio", str(make_speech_wav(tmp_path / "s.wav"))]
    )
    out = capsys.readouterr().out
    assert rc == 0 and "take the first frame of the video (this system animates a still portrait)" in out


def test_check_inputs_video_checks_the_middle_frame_and_prepares(
    settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    face = still_to_video(make_portrait(tmp_path / "p.png", size=256), tmp_path / "face.mp4", 1.0, fps=25)
    audio = make_speech_wav(tmp_path / "s.wav")
    prep = tmp_path / "prep"
    rc = main(
        [
            "check-inputs",
            "--video",
            str(face),
            "--audio",
            str(audio),
            "--solution",
            "musetalk",
            "--prepare",
            str(prep),
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0, out
    assert f"video ok: {face} (1.00 s)" in out and "musetalk: inputs ok; face at" in out
    assert probe(prep / "musetalk" / "inputs" / "still.mp4").has_video

    card = make_video(tmp_path / "testcard.mp4", 1.0)  # no face in it
    rc = main(["check-inputs", "--video", str(card), "--audio", str(audio), "--solution", "latentsync"])
    assert rc != 0 and "no face detected" in capsys.readouterr().err


def test_plan_prompt_is_checked_and_an_ignored_one_is_said(settings, tmp_path: Path, capsys) -> None:
    image, audio = make_portrait(tmp_path / "p.png", size=256), make_speech_wav(tmp_path / "s.wav")
    args = ["plan", "--image", str(image), "--audio", str(audio)]
    assert main([args[0], "echomimic_v3", *args[1:], "--prompt", " "]) == 2
    assert "--prompt: the prompt is empty" in capsys.readouterr().err
    assert main([args[0], "echomimic_v3", *args[1:], "--prompt", "-a calm anchor", "--json"]) == 0
    argv = json.loads(capsys.readouterr().out)["argv"]
    assert argv[argv.index("--prompt") + 1] == "-a calm anchor"
    assert main([args[0], "wav2lip", *args[1:], "--prompt", "x"]) == 0
    assert "warning: --prompt is ignored: wav2lip takes no text prompt" in capsys.readouterr().err
