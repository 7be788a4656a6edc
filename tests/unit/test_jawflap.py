"""The `jawflap` baseline: a real mp4 with video and audio, as long as the audio, whose mouth opening (inner
lip gap from the 68 landmarks, the lip-sync proxy's measure) follows the audio's loudness at lag 0."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from thtui.builtins import jawflap
from thtui.core.config import repo_root
from thtui.core.media import probe
from thtui.core.wav_header import wav_seconds

ASSETS = repo_root() / "assets"


@pytest.fixture(scope="module")
def flap(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("jawflap") / "result.mp4"
    argv = ["--image", str(ASSETS / "portrait.jpg"), "--audio", str(ASSETS / "speech.wav"), "--out", str(out)]
    assert jawflap.main(argv) == 0
    return out


def _landmarks_per_frame(video: Path) -> np.ndarray:
    """68 points per 25 fps frame; the face box is detected once (the head does not move in a jaw-flap)."""
    import dlib

    from thtui.core.faces import best_face
    from thtui.core.scores.decode import iter_frames, open_video
    from thtui.core.scores.models import shape_predictor

    frames = [np.ascontiguousarray(f) for f in iter_frames(open_video(video))]
    face = best_face(frames[0])
    assert face is not None
    b = face.box
    rect = dlib.rectangle(b.left, b.top, b.left + b.width, b.top + b.height)
    return np.array([[(p.x, p.y) for p in shape_predictor()(f, rect).parts()] for f in frames], np.float32)


def test_the_result_has_video_and_audio_and_ends_with_the_audio(flap: Path) -> None:
    info = probe(flap)
    seconds = wav_seconds(ASSETS / "speech.wav")
    assert info.video is not None and info.audio is not None
    assert (info.video.width, info.video.height) == (512, 512)
    assert abs(info.duration_s - seconds) <= 0.1, (info.duration_s, seconds)
    assert not flap.with_name("result.partial.mp4").exists()


def test_the_mouth_opens_with_the_loudness_at_lag_zero(flap: Path) -> None:
    from thtui.core.scores.decode import load_audio
    from thtui.core.scores.lipsync import LipSync, lipsync, loudness_envelope, mouth_opening

    mouth = mouth_opening(_landmarks_per_frame(flap))
    loud = loudness_envelope(load_audio(ASSETS / "speech.wav"), 16000, len(mouth), 25)
    # The mouth really moves: from about shut to about a third of the eye distance wider.
    assert mouth.max() - mouth.min() > 0.2, (mouth.min(), mouth.max())
    found = lipsync(mouth, loud, 25)
    assert isinstance(found, LipSync), found
    # Measured 0.89 at offset 0 on this clip; a still portrait gives no correlation at all.
    assert found.offset_frames == 0 and found.corr > 0.75, (found.offset_frames, found.corr)


def test_silence_keeps_the_mouth_shut(tmp_path: Path) -> None:
    silent = tmp_path / "silence.wav"
    with wave.open(str(silent), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\0\0" * 16000 * 2)
    assert not jawflap.openings(silent, 50, 25).any()
    assert jawflap.openings(ASSETS / "speech.wav", 147, 25).max() == pytest.approx(1.0)


def test_a_faceless_portrait_fails_with_one_line_and_no_result(tmp_path: Path, capsys) -> None:
    blank = tmp_path / "wall.png"
    Image.new("RGB", (256, 256), (128, 120, 110)).save(blank)
    out = tmp_path / "result.mp4"
    rc = jawflap.main(["--image", str(blank), "--audio", str(ASSETS / "speech.wav"), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc != 0 and "jawflap: face not detected" in err and "Traceback" not in err
    assert not out.exists() and not out.with_name("result.partial.mp4").exists()


def test_a_huge_portrait_is_scaled_down_to_even_sides(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    Image.new("RGB", (3001, 2001), (200, 180, 170)).save(big)
    rgb = jawflap.load_rgb(big)
    h, w = rgb.shape[:2]
    assert max(h, w) <= jawflap.MAX_SIDE and h % 2 == 0 and w % 2 == 0
    assert abs(w / h - 3001 / 2001) < 0.01
