"""Audio normalisation, still -> video, output normalisation, thumbnails and output validation, all
through the real ffmpeg binary thtui finds (the bundled imageio-ffmpeg one in CI)."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
from media_factory import convert_audio, make_portrait, make_speech_wav, make_tone, make_video
from PIL import Image

from thtui.core.media import (
    measure,
    normalize_audio,
    normalize_video,
    probe,
    still_to_video,
    thumbnail,
    transcode_audio,
    validate_video,
)


def _wav_format(path: Path) -> tuple[int, int, int]:
    with wave.open(str(path), "rb") as wf:
        return wf.getframerate(), wf.getnchannels(), wf.getsampwidth()


@pytest.mark.parametrize("ext", [".mp3", ".ogg", ".m4a"])
def test_normalize_compressed_audio_to_16k_mono_pcm(tmp_path: Path, ext: str) -> None:
    src = convert_audio(
        make_speech_wav(tmp_path / "s.wav", 1.0, rate=44100, channels=2), tmp_path / f"in{ext}"
    )
    out = normalize_audio(src, tmp_path / "norm.wav")
    assert _wav_format(out) == (16000, 1, 2)
    assert measure(out).duration_s == pytest.approx(1.0, abs=0.08)


def test_normalize_is_deterministic_and_can_write_mp3(tmp_path: Path) -> None:
    src = make_tone(tmp_path / "t.wav", 0.5, 48000, channels=2)
    a = normalize_audio(src, tmp_path / "a.wav")
    b = normalize_audio(src, tmp_path / "b.wav")
    assert a.read_bytes() == b.read_bytes()
    mp3 = normalize_audio(src, tmp_path / "a.mp3", rate=22050, fmt="mp3")
    info = probe(mp3, use_ffprobe=False)
    assert (info.audio.codec, info.audio.sample_rate, info.audio.channels) == ("mp3", 22050, 1)


def test_measure_levels(tmp_path: Path) -> None:
    loud = measure(make_tone(tmp_path / "l.wav", 1.0, amplitude=0.5))
    assert loud.duration_s == pytest.approx(1.0, abs=0.001)
    assert loud.peak_dbfs == pytest.approx(-6.0, abs=0.2)
    assert loud.rms_dbfs == pytest.approx(-9.0, abs=0.3)


def test_transcode_rejects_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unsupported audio extension '\.xyz'"):
        transcode_audio(make_tone(tmp_path / "t.wav"), tmp_path / "out.xyz")


def test_still_video_with_and_without_audio(tmp_path: Path) -> None:
    img = make_portrait(tmp_path / "100% me.png", size=130)
    silent = still_to_video(img, tmp_path / "still.mp4", 1.2, fps=25)
    info = probe(silent, use_ffprobe=False)
    assert (info.video.codec, info.video.pix_fmt, info.video.fps) == ("h264", "yuv420p", 25)
    assert not info.has_audio and info.duration_s == pytest.approx(1.2, abs=0.05)
    speech = make_speech_wav(tmp_path / "s.wav", 1.0)
    voiced = still_to_video(img, tmp_path / "voiced.mp4", 1.0, audio=speech)
    check = validate_video(voiced, expected_duration=1.0, tolerance=0.1)
    assert check.ok, check.problems


def test_normalize_video_makes_h264_aac_even_faststart(tmp_path: Path) -> None:
    src = tmp_path / "odd.mp4"
    still_to_video(make_portrait(tmp_path / "p.png", size=131), src, 1.0)  # 131 -> scaled even
    out = normalize_video(src, tmp_path / "norm.mp4", audio=make_speech_wav(tmp_path / "s.wav", 1.0))
    info = probe(out, use_ffprobe=False)
    assert (info.video.codec, info.video.pix_fmt, info.audio.codec) == ("h264", "yuv420p", "aac")
    assert info.video.width % 2 == 0 and info.video.height % 2 == 0
    data = out.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")  # faststart: index before the media data


def test_thumbnail_png_at_time(tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", 1.0, size=96)
    png = thumbnail(video, tmp_path / "thumbs" / "t 'x'.png", at_s=0.5, width=48)
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size == (48, 48)
    far = thumbnail(video, tmp_path / "end.png", at_s=99.0)  # clamped into the video
    assert Image.open(far).size == (96, 96)


def test_validate_video_reports_each_problem(tmp_path: Path) -> None:
    good = make_video(tmp_path / "good.mp4", 1.0)
    assert validate_video(good, 1.0, 0.2).ok
    silent = make_video(tmp_path / "silent.mp4", 1.0, audio=False)
    assert validate_video(silent, 1.0).problems == [
        f"output has no audio stream: {silent} (mov, 1.00 s, video h264 128x128 25 fps)"
    ]
    long = validate_video(good, expected_duration=3.0, tolerance=0.5)
    assert long.problems == [f"output is 1.00 s long, expected 3.00 s (± 0.5 s): {good}"]
    assert validate_video(tmp_path / "none.mp4").problems == [f"no output file at {tmp_path / 'none.mp4'}"]
    (tmp_path / "empty.mp4").touch()
    assert validate_video(tmp_path / "empty.mp4").problems == [
        f"output file is empty (0 bytes): {tmp_path / 'empty.mp4'}"
    ]
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00garbage" * 100)
    (problem,) = validate_video(junk).problems
    assert problem.startswith(f"output is not readable media: {junk} (")
    audio_only = validate_video(make_tone(tmp_path / "t.wav"))
    assert audio_only.problems[0].startswith("output has no video stream")


def test_missing_ffmpeg_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from thtui.core import tools
    from thtui.core.media import MediaError

    monkeypatch.setattr(tools, "ffmpeg", lambda: tools.Tool("ffmpeg", None, "missing"))
    with pytest.raises(
        MediaError, match=r"^ffmpeg not found: install imageio-ffmpeg \(pip\) or ffmpeg \(apt\)$"
    ):
        normalize_audio(make_tone(tmp_path / "t.wav"), tmp_path / "n.wav")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.wav"]
