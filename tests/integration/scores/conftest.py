"""Control videos for the score tests, built once per session (they take a few seconds each)."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest
import score_controls as c
from score_controls import SECONDS, N

BLINK_STARTS = (14, 40, 66)  # three painted blinks, 3 frames each


@pytest.fixture(scope="session")
def controls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("score_controls")
    rgb = c.portrait()
    pts = c.landmarks(rgb)
    portrait = d / "portrait.png"
    cv2.imwrite(str(portrait), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    speech = c.speech(SECONDS)
    wav = c.write_wav(d / "speech.wav", speech)
    synced = [c.jaw_frame(rgb, pts, o) for o in c.openings(speech, N)]
    other = [c.jaw_frame(rgb, pts, o) for o in c.openings(c.speech(SECONDS, start_s=2.3), N)]
    angles = c.sinus_deg(N, 5.0)
    blinking = [
        c.close_eyes(f, pts) if any(s <= i < s + 3 for s in BLINK_STARTS) else f for i, f in enumerate(synced)
    ]
    out = {"portrait": portrait, "speech": wav}
    out["synced"] = c.write_video(d / "synced.mp4", synced, wav)
    out["delayed"] = c.shift_audio(out["synced"], d / "delayed.mp4", 0.4)
    out["advanced"] = c.shift_audio(out["synced"], d / "advanced.mp4", -0.4)
    out["other"] = c.write_video(d / "other.mp4", other, wav)
    out["still"] = c.write_video(d / "still.mp4", [rgb] * N, wav)
    # Roll is read off the eye line: at 288 px dlib's whole-pixel landmarks leave ~1 deg of noise, so this
    # control is bigger (448 px: r 0.997 against the injected angle when it was written).
    big = c.portrait(448)
    big_pts = c.landmarks(big)
    out["roll_portrait"] = d / "portrait448.png"
    cv2.imwrite(str(out["roll_portrait"]), cv2.cvtColor(big, cv2.COLOR_RGB2BGR))
    rolled = [
        c.roll(c.jaw_frame(big, big_pts, o, max_px=14), a)
        for o, a in zip(c.openings(speech, N), angles, strict=True)
    ]
    out["roll"] = c.write_video(d / "roll.mp4", rolled, wav)
    out["blinks"] = c.write_video(d / "blinks.mp4", blinking, wav)
    out["silent"] = c.write_video(d / "silent.mp4", synced, None)
    # The builtin lip-sync baseline itself, driven by the same speech (its own warp, not ours).
    from thtui.builtins.jawflap import make_video
    from thtui.core import tools

    code, _ = make_video(portrait, wav, d / "jawflap.mp4", c.FPS, str(tools.ffmpeg().path))
    assert code == 0
    out["jawflap"] = d / "jawflap.mp4"
    return out


@pytest.fixture(scope="session")
def scored(controls: dict[str, Path]):
    """Scores of each control, computed on first use and kept for the session."""
    from thtui.core.scores import score_video

    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            image = controls["roll_portrait" if name == "roll" else "portrait"]
            cache[name] = score_video(controls[name], image)
        return cache[name]

    return get
