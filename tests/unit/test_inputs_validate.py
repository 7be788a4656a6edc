"""Every bad input gets its own exact message (InputError, a ValueError) before any GPU time is spent,
and valid files work whatever their names contain."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from media_factory import (
    convert_audio,
    make_portrait,
    make_silence,
    make_speech_wav,
    make_text_file,
    make_tone,
    make_truncated_jpeg,
    make_video,
)

from thtui.core.inputs import InputError, validate_audio, validate_image

WEIRD_NAMES = [
    "my portrait.png",
    'it\'s "quoted".png',
    "портрет 🙂.png",
    "$(rm -rf ~); `x` | & > 100%.png",
    "-rf.png",
]


def _err(fn, *args, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        fn(*args, **kw)
    assert isinstance(info.value, ValueError)
    return info.value


# ---- image ---------------------------------------------------------------------------------------


def test_missing_image(tmp_path: Path) -> None:
    p = tmp_path / "nope.png"
    e = _err(validate_image, p)
    assert str(e) == f"image not found: {p}" and e.code == "not_found" and e.kind == "image"


def test_directory_as_image(tmp_path: Path) -> None:
    assert str(_err(validate_image, tmp_path)) == f"image path is a directory, not a file: {tmp_path}"


def test_empty_image(tmp_path: Path) -> None:
    p = tmp_path / "empty.png"
    p.touch()
    assert str(_err(validate_image, p)) == f"image file is empty (0 bytes): {p}"


def test_text_file_named_png(tmp_path: Path) -> None:
    p = make_text_file(tmp_path / "face.png")
    e = _err(validate_image, p)
    assert str(e) == f"not an image: {p} (it contains text, not image data)" and e.code == "text_file"


def test_truncated_jpeg(tmp_path: Path) -> None:
    p = make_truncated_jpeg(tmp_path / "cut.jpg")
    e = _err(validate_image, p)
    assert str(e).startswith(f"image is truncated or corrupt: {p} (image file is truncated")
    assert e.code == "truncated"


def test_audio_passed_as_image(tmp_path: Path) -> None:
    p = make_speech_wav(tmp_path / "voice.wav", 1.0)
    e = _err(validate_image, p)
    assert str(e) == (
        f"not an image: {p} (it is an audio file (wav, 1.00 s, audio pcm_s16le 16000 Hz 1 ch); "
        "pass it as the audio instead)"
    )
    assert e.code == "is_audio"


def test_mp3_named_png_is_recognised_as_audio(tmp_path: Path) -> None:
    p = convert_audio(make_speech_wav(tmp_path / "v.wav", 1.0), tmp_path / "v.mp3").rename(
        tmp_path / "photo.png"
    )
    assert _err(validate_image, p).code == "is_audio"


def test_video_passed_as_image(tmp_path: Path) -> None:
    p = make_video(tmp_path / "clip.mp4", 1.0)
    e = _err(validate_image, p)
    assert str(e).startswith(f"not an image: {p} (it is a video (mov, 1.00 s, video h264 128x128 25 fps")
    assert str(e).endswith("give a still image, e.g. a frame of it)")


def test_tiny_image(tmp_path: Path) -> None:
    p = make_portrait(tmp_path / "tiny.png", size=32)
    assert str(_err(validate_image, p)) == f"image is too small: {p} is 32x32 px; at least 64x64 is needed"


def test_unreadable_image(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        p = make_portrait(tmp_path / "locked.png", size=80)
        p.chmod(0)
        try:
            assert str(_err(validate_image, p)) == f"cannot read image {p}: Permission denied"
        finally:
            p.chmod(0o644)
        return
    # As root every file is readable: check from an unprivileged child (uid 65534, "nobody").
    d = Path(tempfile.mkdtemp(prefix="thtui-perm-"))
    try:
        d.chmod(0o755)
        p = make_portrait(d / "locked.png", size=80)
        p.chmod(0)
        code = (
            "import sys\nfrom thtui.core.inputs import validate_image, InputError\n"
            "try:\n    validate_image(sys.argv[1])\nexcept InputError as e:\n    print(e)\n"
        )
        env = {**os.environ, "HOME": str(d)}
        out = subprocess.run(
            [sys.executable, "-c", code, str(p)],
            user=65534,
            group=65534,
            capture_output=True,
            text=True,
            env=env,
            cwd=d,
        )
        if "ModuleNotFoundError" in out.stderr or "Permission denied: '" in out.stderr:
            pytest.skip(f"the unprivileged user cannot import thtui here: {out.stderr.strip()[-200:]}")
        assert out.stdout.strip() == f"cannot read image {p}: Permission denied", out.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("name", WEIRD_NAMES)
def test_weird_image_names_work(tmp_path: Path, name: str) -> None:
    info = validate_image(make_portrait(tmp_path / name, size=96))
    assert (info.width, info.height, info.format) == (96, 96, "PNG")


def test_extension_lies_but_content_is_an_image(tmp_path: Path) -> None:
    p = make_portrait(tmp_path / "really_png.jpg", size=96, fmt="PNG")
    assert validate_image(p).format == "PNG"


# ---- audio ---------------------------------------------------------------------------------------


def test_missing_audio(tmp_path: Path) -> None:
    p = tmp_path / "gone.wav"
    assert str(_err(validate_audio, p)) == f"audio not found: {p}"


def test_empty_audio(tmp_path: Path) -> None:
    p = tmp_path / "zero.wav"
    p.touch()
    e = _err(validate_audio, p)
    assert str(e) == f"audio file is empty (0 bytes): {p}" and e.code == "empty"


def test_silent_audio(tmp_path: Path) -> None:
    p = make_silence(tmp_path / "quiet.wav", 1.0)
    e = _err(validate_audio, p)
    assert str(e) == f"audio is silent: {p} (peak level -inf dBFS; speech needs at least -50 dBFS)"
    assert e.code == "silent"


def test_near_silent_hum_is_silent_too(tmp_path: Path) -> None:
    p = make_tone(tmp_path / "hum.wav", 1.0, amplitude=0.001)  # 32 of 32768: -60.2 dBFS
    assert str(_err(validate_audio, p)) == (
        f"audio is silent: {p} (peak level -60.2 dBFS; speech needs at least -50 dBFS)"
    )


def test_over_long_audio_names_the_limit(tmp_path: Path) -> None:
    p = make_speech_wav(tmp_path / "long.wav", 3.0)
    e = _err(validate_audio, p, max_seconds=2)
    assert (
        str(e)
        == f"audio is too long: {p} is 3.0 s; the limit is 2 s (trim it, or raise THTUI_MAX_AUDIO_SECONDS)"
    )
    assert e.code == "too_long"


def test_max_audio_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = make_speech_wav(tmp_path / "s.wav", 2.0)
    monkeypatch.setenv("THTUI_MAX_AUDIO_SECONDS", "1.5")
    assert _err(validate_audio, p).code == "too_long"
    monkeypatch.setenv("THTUI_MAX_AUDIO_SECONDS", "lots")
    assert str(_err(validate_audio, p)) == "THTUI_MAX_AUDIO_SECONDS='lots' is not a number of seconds"


def test_too_short_audio(tmp_path: Path) -> None:
    p = make_speech_wav(tmp_path / "blip.wav", 0.05)
    assert str(_err(validate_audio, p)) == f"audio is too short: {p} is 0.05 s; at least 0.2 s is needed"


def test_wav_header_without_samples(tmp_path: Path) -> None:
    p = make_speech_wav(tmp_path / "hdr.wav", 0.0)
    assert str(_err(validate_audio, p)) == f"audio contains no samples: {p}"


def test_image_passed_as_audio(tmp_path: Path) -> None:
    p = make_portrait(tmp_path / "me.png", size=96)
    e = _err(validate_audio, p)
    assert (
        str(e) == f"not audio: {p} is an image (PNG 96x96); pass it as the image instead"
        and e.code == "is_image"
    )


def test_text_passed_as_audio(tmp_path: Path) -> None:
    p = make_text_file(tmp_path / "speech.wav", "Hello, this is what I want to say.\n")
    e = _err(validate_audio, p)
    assert str(e) == f"not audio: {p} contains text, not audio data" and e.code == "text_file"


def test_garbage_passed_as_audio(tmp_path: Path) -> None:
    p = tmp_path / "noise.mp3"
    p.write_bytes(bytes(range(256)) * 40)
    e = _err(validate_audio, p)
    assert str(e).startswith(f"not audio: {p} is not a format ffmpeg can read (")


def test_video_without_sound_as_audio(tmp_path: Path) -> None:
    p = make_video(tmp_path / "mute.mp4", 1.0, audio=False)
    e = _err(validate_audio, p)
    assert (
        str(e) == f"not audio: {p} is a video without an audio track (mov, 1.00 s, video h264 128x128 25 fps)"
    )


@pytest.mark.parametrize("ext", [".mp3", ".ogg", ".m4a"])
def test_compressed_audio_is_valid(tmp_path: Path, ext: str) -> None:
    p = convert_audio(make_speech_wav(tmp_path / "s.wav", 1.5), tmp_path / f"s{ext}")
    info = validate_audio(p)
    assert info.duration_s == pytest.approx(1.5, abs=0.1) and info.peak_dbfs > -20


def test_video_with_sound_counts_as_audio(tmp_path: Path) -> None:
    assert validate_audio(make_video(tmp_path / "talk.mp4", 1.0)).codec == "aac"


@pytest.mark.parametrize("name", [n.replace(".png", ".wav") for n in WEIRD_NAMES] + ["line\nbreak.wav"])
def test_weird_audio_names_work(tmp_path: Path, name: str) -> None:
    info = validate_audio(make_speech_wav(tmp_path / name, 0.5))
    assert info.sample_rate == 16000 and info.duration_s == pytest.approx(0.5, abs=0.01)
