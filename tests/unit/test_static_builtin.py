"""The `static` baseline's encode: the looped portrait is bounded by the audio's length, so the result
never runs past the audio (the runner's length check failed ~2% of encodes with -shortest alone)."""

from __future__ import annotations

from pathlib import Path

from thtui.builtins import static
from thtui.core.config import repo_root
from thtui.core.media import probe
from thtui.core.wav_header import wav_seconds

ASSETS = repo_root() / "assets"


def test_the_image_input_is_bounded_by_the_wav_length() -> None:
    seconds = wav_seconds(ASSETS / "speech.wav")
    assert seconds is not None and 1.0 < seconds < 30.0
    argv = static.build_argv(
        "ffmpeg", ASSETS / "portrait.jpg", ASSETS / "speech.wav", Path("o.mp4"), 25, seconds
    )
    t = argv.index("-t")
    assert float(argv[t + 1]) == round(seconds, 3) and argv[t + 2 : t + 4] == [
        "-i",
        str(ASSETS / "portrait.jpg"),
    ]
    assert wav_seconds(ASSETS / "portrait.jpg") is None  # not a WAV: -shortest alone


def test_the_video_ends_with_the_audio(tmp_path: Path) -> None:
    out = tmp_path / "static.mp4"
    assert static.main(["--image", str(ASSETS / "portrait.jpg"), "--audio", str(ASSETS / "speech.wav"),
                        "--out", str(out)]) == 0  # fmt: skip
    info = probe(out)
    seconds = wav_seconds(ASSETS / "speech.wav")
    assert info.video is not None and info.audio is not None
    assert abs(info.duration_s - seconds) <= 0.1, (info.duration_s, seconds)
