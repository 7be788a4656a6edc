"""RunSpec's `videos` and `prompt`: checks, run.json round trip, and the argv of a detached run (the TUI's detach
option starts `thtui run` with spec_argv(spec)) parsed back by the real CLI into the same spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from thtui.cli import parse_args
from thtui.cli.run_cmds import _spec
from thtui.core.jobs.detach import spec_argv
from thtui.core.jobs.matrix import cases, source_frame
from thtui.core.jobs.spec import RunError, RunSpec


def test_videos_and_prompt_survive_run_json_and_detach_argv(tmp_path: Path) -> None:
    video, audio = (tmp_path / "my clip.mp4").resolve(), (tmp_path / "a.wav").resolve()
    spec = RunSpec(
        solutions=("musetalk", "sadtalker"), videos=(video,), audios=(audio,), prompt="-calm, 'soft'"
    )
    assert RunSpec.from_json(spec.to_json()) == spec
    argv = spec_argv(spec)
    assert "--prompt=-calm, 'soft'" in argv  # one item: a leading '-' is not read as a flag
    assert _spec(parse_args(argv)) == spec


def test_a_detached_text_run_whose_text_starts_with_a_dash_parses_back(tmp_path: Path) -> None:
    spec = RunSpec(
        solutions=("static",), images=((tmp_path / "p.png").resolve(),), text="-hi there", tts="piper"
    )
    assert _spec(parse_args(spec_argv(spec))) == spec  # was: "argument --text: expected one argument"


def test_old_run_json_has_no_videos_or_prompt(tmp_path: Path) -> None:
    data = RunSpec(
        solutions=("static",), images=(tmp_path / "i.png",), audios=(tmp_path / "a.wav",)
    ).to_json()
    del data["videos"], data["prompt"]
    spec = RunSpec.from_json(data)
    assert spec.videos == () and spec.prompt is None


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (
            {"images": ("i.png",), "videos": ("v.mp4",)},
            "give --image (portraits) or --video (your own videos), not both",
        ),
        ({}, "give at least one --image (or --video)"),
        ({"videos": ("v.mp4",), "prompt": ""}, "--prompt: the prompt is empty"),
        (
            {"videos": ("v.mp4",), "prompt": "p" * 1001},
            "--prompt: the prompt has 1001 characters; at most 1000",
        ),
    ],
)
def test_spec_refuses(kw: dict, message: str) -> None:
    with pytest.raises(RunError) as info:
        RunSpec(solutions=("static",), audios=("a.wav",), **kw)
    assert str(info.value) == message


def test_video_cases_name_the_video_and_put_its_frame_in_the_run(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    videos = (tmp_path / "take one.mp4", tmp_path / "take two.mov")
    got = cases((), (tmp_path / "a.wav",), videos, run_dir)
    assert [c.name for c in got] == ["0-take_one-a", "1-take_two-a"]
    assert [c.video for c in got] == [v.resolve() for v in videos]
    assert (
        got[1].image
        == source_frame(run_dir, 1, videos[1])
        == run_dir / "_prepared" / "_sources" / "1-take_two.png"
    )
    with pytest.raises(ValueError, match="need the run dir"):
        cases((), (tmp_path / "a.wav",), videos)


def test_run_form_values_build_the_same_spec(tmp_path: Path) -> None:
    from thtui.tui.run_form import FormValues, build_spec, check_form

    video, audio = tmp_path / "v.mp4", tmp_path / "a.wav"
    form = FormValues(videos=[video], audios=[audio], solutions=["static"], prompt="calm")
    assert check_form(form, {"static"}, 0) == {}
    spec = build_spec(form, 0)
    assert (spec.videos, spec.images, spec.prompt) == ((video,), (), "calm")
    assert build_spec(FormValues(videos=[video], audios=[audio], solutions=["static"]), 0).prompt is None
    both = FormValues(images=[tmp_path / "i.png"], videos=[video], audios=[audio], solutions=["static"])
    assert check_form(both, {"static"}, 0) == {"videos": "a run takes images or videos, not both: clear one"}
    blank = FormValues(videos=[video], audios=[audio], solutions=["static"], prompt="  ")
    assert check_form(blank, {"static"}, 0) == {
        "prompt": "prompt: the prompt is empty (leave it empty for the default)"
    }
    none = FormValues(audios=[audio], solutions=["static"])
    assert check_form(none, {"static"}, 0) == {"images": "choose at least one image (or a video below)"}


def test_retry_of_a_video_job_takes_its_video(tmp_path: Path) -> None:
    """Results' retry runs one job again: from the user's video it came from (run.json), not its first frame."""
    import json

    from thtui.core.jobs.run_inputs import retry_sources

    (tmp_path / "run.json").write_text(
        json.dumps({"jobs": [{"job_id": "r/musetalk", "video": "/v/take.mp4"}]})
    )
    assert retry_sources(tmp_path, "r/musetalk", "/r/_prepared/_sources/0-take.png") == {
        "videos": (Path("/v/take.mp4"),)
    }
    assert retry_sources(tmp_path, "r/static", "/i/face.png") == {"images": (Path("/i/face.png"),)}
    assert retry_sources(tmp_path / "gone", "r/musetalk", "/i/face.png") == {"images": (Path("/i/face.png"),)}
