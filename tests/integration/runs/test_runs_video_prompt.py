"""`thtui run --video` and `--prompt` through the real runs engine, on stand-ins of the manifest shapes that use them:

- standin_video: a system that redraws a video's mouth (inputs.still_video, like MuseTalk/LatentSync);
- standin (as is): a portrait system, which gets the first frame of the user's video;
- standin_prompt: a system with {prompt} in argv and in a per-job config file (like EchoMimicV3), whose argv starts
  with a one-line Python wrapper that writes the prompt it received (sys.argv, no shell) back to the job's out dir.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from media_factory import make_text_file, make_video
from runlab import Lab, install_standin
from stand_ins.installed import STANDIN

from thtui.cli import main
from thtui.core.catalog import Catalog
from thtui.core.events import Collector
from thtui.core.jobs import JobFinished, RunError, RunSpec, RunStage, resume_run, start_run
from thtui.core.media import probe

DEFAULT_PROMPT = "A friendly person talking, soft light."
# Quotes, a semicolon, a command substitution, a newline, a placeholder and non-ASCII: a shell or a second
# format pass would change it; an argv item and a YAML value keep it byte for byte.
NASTY = "She says \"hi\"; $(touch /tmp/x) `id` 'x' {image}\nnext — ü"
WRAPPER = (
    "import runpy, sys; open(sys.argv[2] + '/prompt.txt', 'w', encoding='utf-8').write(sys.argv[1]); "
    "sys.argv = ['inference.py'] + sys.argv[3:]; runpy.run_path('inference.py', run_name='__main__')"
)


def _variant(lab: Lab, name: str, change) -> None:
    data = yaml.safe_load((STANDIN / "solution.yaml").read_text(encoding="utf-8"))
    data["name"] = name
    data["needs_gpu"] = False  # so `thtui run` in-process needs no GPU backend (the engine is the same)
    change(data)
    folder = lab.tmp / "solutions" / name
    folder.mkdir(parents=True)
    (folder / "solution.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _video_system(data: dict) -> None:
    data["inputs"]["still_video"] = True
    data["infer"]["env"] = {"STANDIN_SOURCE_VIDEO": "{still_video}"}


def _prompt_system(data: dict) -> None:
    data["infer"]["argv"] = ["{python}", "-c", WRAPPER, "{prompt}", "{outdir}", *data["infer"]["argv"][2:]]
    data["infer"]["files"] = [{"path": "case.yaml", "yaml": {"prompt": "{prompt}", "image": "{image}"}}]
    data["infer"]["prompt"] = DEFAULT_PROMPT


@pytest.fixture
def vlab(lab: Lab) -> Lab:
    _variant(lab, "standin_video", _video_system)
    _variant(lab, "standin_prompt", _prompt_system)
    catalog = Catalog.load(lab.tmp / "solutions")
    for name in ("standin_video", "standin_prompt"):
        install_standin(lab.settings, catalog.get(name))
    return replace(lab, catalog=catalog)


def _run(lab: Lab, spec: RunSpec, sink=None, cancel=None):
    events = Collector()

    def both(e) -> None:
        events(e)
        if sink:
            sink(e)

    result = start_run(lab.settings, lab.catalog, spec, both, cancel, monitor=lab.monitor, store=lab.store(),
                       fingerprint=False)  # fmt: skip
    return result, events


def _stages(events: Collector) -> list[RunStage]:
    return [e for e in events.events if isinstance(e, RunStage)]


def test_video_goes_to_the_video_system_and_its_first_frame_to_the_portrait_system(vlab: Lab) -> None:
    video = make_video(vlab.tmp / "in" / "my clip.v2.mp4", 1.5)
    spec = RunSpec(solutions=("standin_video", "standin"), videos=(video,), audios=(vlab.audio,))
    result, events = _run(vlab, spec)
    assert result.status == "done", [j.metrics.failure_message for j in result.jobs if j.metrics]
    run_dir = Path(result.run_dir)
    by_name = {j.job.solution: j for j in result.jobs}

    # The video system got the user's video, re-encoded without its soundtrack, where the still video goes.
    still = Path(by_name["standin_video"].job.job_dir) / "inputs" / "still.mp4"
    info = probe(still)
    assert info.has_video and not info.has_audio and info.duration_s == pytest.approx(1.5, abs=0.1)

    # The portrait system animated the first frame, written once under _prepared/_sources/.
    frame = run_dir / "_prepared" / "_sources" / "0-my_clip_v2.png"
    assert frame.is_file() and all(j.job.image == str(frame) for j in result.jobs)
    assert (Path(by_name["standin"].job.job_dir) / "inputs" / "image.png").is_file()
    assert any(
        "standin animates a still portrait: given the first frame" in s.detail for s in _stages(events)
    )

    run_json = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert run_json["spec"]["videos"] == [str(video.resolve())] and run_json["inputs"]["image"] is None
    assert {e["video"] for e in run_json["jobs"]} == {str(video.resolve())}
    assert RunSpec.from_json(run_json["spec"]) == replace(spec, videos=(video.resolve(),))


def test_a_video_run_resumes(vlab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDIN_DELAY", "0.1")
    video = make_video(vlab.tmp / "in" / "clip.mp4", 1.0)
    cancel = threading.Event()

    def stop_after_first(e) -> None:
        if isinstance(e, JobFinished):
            cancel.set()

    spec = RunSpec(solutions=("standin_video", "standin"), videos=(video,), audios=(vlab.audio,))
    first, _ = _run(vlab, spec, stop_after_first, cancel)
    assert first.status == "interrupted" and [j.status for j in first.jobs] == ["ok", "pending"]
    frame = Path(first.jobs[0].job.image)
    frame.unlink()  # a cleaned-up _prepared/ is rebuilt from the video recorded in run.json
    second = resume_run(vlab.settings, vlab.catalog, first.run_id, monitor=vlab.monitor, store=vlab.store())
    assert second.status == "done" and [j.status for j in second.jobs] == ["ok", "ok"]
    assert frame.is_file() and second.jobs[1].job.video == str(video.resolve())


def test_prompt_default_and_override_reach_the_process_whole(vlab: Lab) -> None:
    for given, expected in ((None, DEFAULT_PROMPT), (NASTY, NASTY)):
        spec = RunSpec(solutions=("standin_prompt", "standin"), images=(vlab.image,), audios=(vlab.audio,),
                       prompt=given)  # fmt: skip
        result, events = _run(vlab, spec)
        assert result.status == "done", [j.metrics.failure_message for j in result.jobs if j.metrics]
        job = next(j for j in result.jobs if j.job.solution == "standin_prompt")
        job_dir = Path(job.job.job_dir)
        assert (job_dir / "out" / "prompt.txt").read_text(encoding="utf-8") == expected  # what argv carried
        assert yaml.safe_load((job_dir / "case.yaml").read_text(encoding="utf-8"))["prompt"] == expected
        assert (
            json.loads((job_dir / "metrics.json").read_text(encoding="utf-8"))["extra"]["prompt"] == expected
        )
        run_json = json.loads((Path(result.run_dir) / "run.json").read_text(encoding="utf-8"))
        entries = {e["solution"]: e for e in run_json["jobs"]}
        assert entries["standin_prompt"]["prompt"] == expected and "prompt" not in entries["standin"]
        assert run_json["spec"]["prompt"] == given
        plain = next(j for j in result.jobs if j.job.solution == "standin")
        assert "prompt" not in json.loads((Path(plain.job.job_dir) / "metrics.json").read_text())["extra"]
        assert not any(s.level == "warning" and "--prompt" in s.detail for s in _stages(events))


def test_prompt_for_systems_without_prompts_warns(vlab: Lab) -> None:
    spec = RunSpec(solutions=("standin",), images=(vlab.image,), audios=(vlab.audio,), prompt="unused")
    result, events = _run(vlab, spec)
    assert result.status == "done"
    (warning,) = [s for s in _stages(events) if s.level == "warning"]
    assert warning.detail == (
        "--prompt is ignored: none of standin takes a text prompt (systems with prompts: standin_prompt)"
    )


def test_bad_video_and_prompt_are_refused_before_any_run_folder(vlab: Lab) -> None:
    notes = make_text_file(vlab.tmp / "in" / "notes.mp4")
    with pytest.raises(RunError, match=f"video {notes}: ffmpeg cannot read it"):
        _run(vlab, RunSpec(solutions=("standin_video",), videos=(notes,), audios=(vlab.audio,)))
    flv = make_video(vlab.tmp / "in" / "clip.mp4", 1.0).rename(vlab.tmp / "in" / "clip.flv")
    with pytest.raises(RunError, match="has extension .flv; thtui takes video files named"):
        _run(vlab, RunSpec(solutions=("standin",), videos=(flv,), audios=(vlab.audio,)))
    assert not [p for p in vlab.settings.outputs_dir.iterdir() if p.is_dir()]  # no run folder, the db only
    with pytest.raises(RunError, match=r"give --image \(portraits\) or --video"):
        RunSpec(solutions=("standin",), images=(vlab.image,), videos=(notes,), audios=(vlab.audio,))
    with pytest.raises(RunError, match="--prompt: the prompt is empty"):
        RunSpec(solutions=("standin",), images=(vlab.image,), audios=(vlab.audio,), prompt=" ")


def test_cli_run_video_and_prompt(vlab: Lab, capsys: pytest.CaptureFixture) -> None:
    video = make_video(vlab.tmp / "in" / "clip.mp4", 1.0)
    argv = [
        "run",
        "--solutions",
        "standin_video,standin_prompt",
        "--video",
        str(video),
        "--audio",
        str(vlab.audio),
    ]
    assert main([*argv, "--prompt", "calm", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "done" and {j["job"]["video"] for j in data["jobs"]} == {str(video.resolve())}
    assert {j["job"]["solution"]: j["job"]["prompt"] for j in data["jobs"]} == {
        "standin_video": None,
        "standin_prompt": "calm",
    }
    assert main([*argv, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "standin_prompt animates a still portrait: given the first frame of each video" in out
    assert f"'{DEFAULT_PROMPT}'" in out  # the dry run shows the argv with the default prompt, one item

    assert main([*argv, "--prompt", ""]) == 2
    assert "--prompt: the prompt is empty" in capsys.readouterr().err
    assert (
        main(
            ["run", "standin", "--image", str(vlab.image), "--video", str(video), "--audio", str(vlab.audio)]
        )
        == 2
    )
    assert "give --image (portraits) or --video (your own videos), not both" in capsys.readouterr().err
    assert main(["run", "--resume", "latest", "--prompt", "x"]) == 2
    assert "--resume takes its inputs and solutions from the run" in capsys.readouterr().err
