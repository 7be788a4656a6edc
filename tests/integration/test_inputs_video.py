"""The user's own video as the source of the lip-sync systems (--video): planned in place of the still video,
validated before anything is written, re-encoded without its soundtrack (real ffmpeg, real face detector)."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_factory import make_portrait, make_speech_wav, make_text_file, make_tone, make_video

from thtui.core.catalog import Catalog
from thtui.core.config import Settings
from thtui.core.inputs import InputError
from thtui.core.inputs_video import prepare_video_inputs
from thtui.core.media import probe, still_to_video
from thtui.core.plan import build_plan

RUN_ID = "20250101-000000-cafe"


def _face_video(tmp_path: Path, seconds: float = 1.2) -> Path:
    """A portrait held for `seconds`, with a soundtrack of its own (which must not reach upstream)."""
    portrait = make_portrait(tmp_path / "src" / "face.png", size=256)
    tone = make_tone(tmp_path / "src" / "music.wav", seconds)
    return still_to_video(portrait, tmp_path / "my clip.v1.MOV.mp4", seconds, fps=30, audio=tone)


@pytest.mark.parametrize("name", ["latentsync", "musetalk"])
def test_video_replaces_the_still_video_and_argv_stays(
    catalog: Catalog, settings: Settings, tmp_path: Path, name: str
) -> None:
    loaded = catalog.get(name)
    video = tmp_path / "clip.mp4"
    audio = tmp_path / "a.wav"
    with_image = build_plan(loaded, settings, tmp_path / "face.png", audio, run_id=RUN_ID)
    with_video = build_plan(loaded, settings, video, audio, run_id=RUN_ID, video=video)
    assert [i.kind for i in with_video.inputs] == ["image", "audio", "video"]
    by_kind = {i.kind: i for i in with_video.inputs}
    assert by_kind["video"].source == str(video.resolve())
    assert by_kind["video"].dest == with_image.values["still_video"]
    assert with_video.argv == with_image.argv and with_video.files == with_image.files


def test_a_portrait_system_gets_the_first_frame(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    """SadTalker animates a still portrait: given a video, it animates the video's first frame (said in the plan)."""
    loaded = catalog.get("sadtalker")
    video = _face_video(tmp_path)
    plan = build_plan(
        loaded, settings, video, make_speech_wav(tmp_path / "s.wav"), run_id=RUN_ID, video=video
    )
    assert [i.kind for i in plan.inputs] == ["image", "audio"]
    assert plan.inputs[0].source == str(video.resolve()) and "take the first frame" in plan.inputs[0].steps[0]
    plain = build_plan(loaded, settings, tmp_path / "face.png", tmp_path / "a.wav", run_id=RUN_ID)
    assert plan.argv == plain.argv
    out = prepare_video_inputs(plan, loaded)
    assert [p.kind for p in out] == ["image", "audio"]
    assert Path(plan.values["image"]).is_file()  # the frame, cropped and sized like any SadTalker portrait


def test_wav2lip_takes_the_video_at_its_face_argument(
    catalog: Catalog, settings: Settings, tmp_path: Path
) -> None:
    """Wav2Lip holds a portrait itself (static mode) and redraws a video: --face names the re-encoded video."""
    loaded = catalog.get("wav2lip")
    video = _face_video(tmp_path)
    plan = build_plan(
        loaded, settings, video, make_speech_wav(tmp_path / "s.wav"), run_id=RUN_ID, video=video
    )
    face = plan.argv[plan.argv.index("--face") + 1]
    by_kind = {i.kind: i for i in plan.inputs}
    assert face == by_kind["video"].dest and face.endswith("/inputs/video.mp4") and face.count(".") == 1
    assert face.split(".")[1] not in ["jpg", "png", "jpeg"], "inference.py: anything else is read as a video"
    out = prepare_video_inputs(plan, loaded)
    assert [p.kind for p in out] == ["image", "audio", "video"]
    assert probe(face).has_video and not probe(face).has_audio
    portrait = build_plan(loaded, settings, tmp_path / "f.png", tmp_path / "a.wav", run_id=RUN_ID)
    assert portrait.argv[portrait.argv.index("--face") + 1].endswith("/inputs/image.png")  # default unchanged


def test_an_unlisted_video_extension_is_refused(tmp_path: Path) -> None:
    from thtui.core.inputs_video import check_video

    clip = make_video(tmp_path / "clip.mp4", 1.0)
    renamed = clip.rename(tmp_path / "clip.flv")
    with pytest.raises(
        InputError, match=r"video .*clip.flv has extension .flv; thtui takes video files named .avi"
    ):
        check_video(renamed)


def test_video_is_prepared_without_its_soundtrack(
    catalog: Catalog, settings: Settings, tmp_path: Path
) -> None:
    loaded = catalog.get("latentsync")
    video = _face_video(tmp_path)
    speech = make_speech_wav(tmp_path / "speech.wav", 2.0, rate=44100)
    plan = build_plan(loaded, settings, video, speech, run_id=RUN_ID, video=video)
    out = prepare_video_inputs(plan, loaded)
    assert [p.kind for p in out] == ["image", "audio", "video"]
    info = probe(plan.values["still_video"])
    assert not info.has_audio, "the video's own soundtrack would compete with the speech in upstream's mux"
    assert (info.video.codec, info.video.pix_fmt, info.video.fps) == ("h264", "yuv420p", 25)
    assert info.duration_s == pytest.approx(1.2, abs=0.1)
    assert Path(plan.values["image"]).is_file() and probe(plan.values["audio"]).audio.sample_rate == 16000


def test_a_video_without_a_face_is_refused_before_the_video_is_written(
    catalog: Catalog, settings: Settings, tmp_path: Path
) -> None:
    loaded = catalog.get("musetalk")  # face_required
    video = make_video(tmp_path / "testcard.mp4", 1.0)
    plan = build_plan(
        loaded, settings, video, make_speech_wav(tmp_path / "s.wav"), run_id=RUN_ID, video=video
    )
    with pytest.raises(InputError, match="no face detected"):
        prepare_video_inputs(plan, loaded)
    assert not Path(plan.values["still_video"]).exists()


def test_not_a_video_is_named(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    loaded = catalog.get("latentsync")
    notes = make_text_file(tmp_path / "notes.mp4")
    plan = build_plan(
        loaded, settings, notes, make_speech_wav(tmp_path / "s.wav"), run_id=RUN_ID, video=notes
    )
    with pytest.raises(InputError, match=f"video {notes}: ffmpeg cannot read it"):
        prepare_video_inputs(plan, loaded)
    missing = tmp_path / "gone.mp4"
    plan = build_plan(
        loaded, settings, missing, make_speech_wav(tmp_path / "s2.wav"), run_id=RUN_ID, video=missing
    )
    with pytest.raises(InputError, match="not found"):
        prepare_video_inputs(plan, loaded)


def test_a_long_video_is_cut_to_the_audio(catalog: Catalog, settings: Settings, tmp_path: Path) -> None:
    """The systems use the video's first frames for as long as the speech lasts: the rest is not re-encoded."""
    loaded = catalog.get("musetalk")
    video = _face_video(tmp_path, seconds=4.0)
    plan = build_plan(
        loaded, settings, video, make_speech_wav(tmp_path / "s.wav", 1.0), run_id=RUN_ID, video=video
    )
    out = prepare_video_inputs(plan, loaded)
    assert probe(plan.values["still_video"]).duration_s == pytest.approx(1.5, abs=0.1)
    assert "cut from 4.00 s to 1.50 s (the audio's length + 0.5 s)" in out[-1].steps
