"""Run form: the source-video picker (exactly the video types of thtui.core.input_formats; a video replaces the
images) and the prompt field (shown only while a chosen system takes a prompt), through to the run they start."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from media_factory import make_text_file, make_video
from stand_ins.installed import STANDIN, install_as_setup_leaves
from textual.widgets import Input, SelectionList
from tuilab import STATIC, TuiLab, screen_text, wait_for

from thtui.core.catalog import Catalog, load_manifest
from thtui.core.input_formats import VIDEO_SUFFIXES
from thtui.tui.screens.file_picker import FilePickerScreen
from thtui.tui.screens.monitor import MonitorScreen
from thtui.tui.screens.run import RunScreen

DEFAULT = "A friendly person talking to the camera, soft light, neutral background, looking straight ahead."
WRAPPER = (
    "import runpy, sys; open(sys.argv[2] + '/prompt.txt', 'w', encoding='utf-8').write(sys.argv[1]); "
    "sys.argv = ['inference.py'] + sys.argv[3:]; runpy.run_path('inference.py', run_name='__main__')"
)


def _prompt_catalog(lab: TuiLab) -> Catalog:
    """The stand-in, static, and standin_prompt: {prompt} in argv (a wrapper writes it back) with a default."""
    data = yaml.safe_load((STANDIN / "solution.yaml").read_text(encoding="utf-8"))
    data["name"] = "standin_prompt"
    data["infer"]["argv"] = ["{python}", "-c", WRAPPER, "{prompt}", "{outdir}", *data["infer"]["argv"][2:]]
    data["infer"]["prompt"] = DEFAULT
    path = lab.tmp / "solutions" / "standin_prompt" / "solution.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    catalog = Catalog([load_manifest(STANDIN / "solution.yaml"), load_manifest(path), load_manifest(STATIC)])
    install_as_setup_leaves(lab.settings, catalog.get("standin_prompt"), STANDIN / "repo")
    return catalog


async def _open(pilot, app) -> RunScreen:
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), 5, "Run screen")
    screen = app.screen
    await wait_for(pilot, lambda: screen.query_one(SelectionList).option_count > 0, 10, "solutions listed")
    return screen


async def _pick_video(pilot, app, path: Path) -> None:
    await pilot.click("#pick-videos")
    await wait_for(pilot, lambda: isinstance(app.screen, FilePickerScreen), 5, "video picker")
    assert app.screen.suffixes == VIDEO_SUFFIXES  # the picker offers exactly the accepted video types
    await pilot.press("ctrl+l", "ctrl+u", *str(path), "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), 5, "picker closed")


async def test_video_and_prompt_reach_the_run(lab: TuiLab) -> None:
    app = lab.app(catalog=_prompt_catalog(lab))
    video = make_video(lab.tmp / "in" / "my take.mp4", 1.0)
    async with app.run_test(size=(110, 44)) as pilot:
        screen = await _open(pilot, app)
        row, prompt = screen.query_one("#prompt-row"), screen.query_one("#prompt", Input)
        assert not row.display and prompt.disabled  # static alone takes no prompt: no field
        screen.query_one(SelectionList).select("standin_prompt")
        await wait_for(pilot, lambda: row.display and not prompt.disabled, 5, "prompt field shown")
        assert prompt.placeholder.startswith("default of standin_prompt: A friendly person talking")
        assert prompt.placeholder.endswith("…")  # a long default is cut to fit

        prompt.value = "x" * 1001
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: "prompt: the prompt has 1001 characters" in screen_text(app), 5)
        assert app.runs.runs == {}
        prompt.value = 'a calm "news" anchor; $(id)'

        assert [p.name for p in screen.values.images] == ["portrait.jpg"]  # the sample portrait
        await _pick_video(pilot, app, video)
        assert screen.values.videos == [video] and screen.values.images == []  # the video replaces it
        await wait_for(pilot, lambda: "my take.mp4" in screen_text(app), 5, "video shown")

        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), 5, "switch to Monitor")
        await wait_for(pilot, lambda: app.runs.runs and not app.runs.active_runs, 60, "run finished")
        (run,) = app.runs.runs.values()
        jobs = {j.solution: j for j in app.runs.jobs.values()}
        assert run.status == "done", (run.error, [(j.job_id, j.state, j.detail) for j in jobs.values()])

    run_dir = Path(jobs["static"].job_dir).parent
    run_json = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert run_json["spec"]["videos"] == [str(video.resolve())] and run_json["spec"]["images"] == []
    entries = {e["solution"]: e for e in run_json["jobs"]}
    assert (
        entries["standin_prompt"]["prompt"] == 'a calm "news" anchor; $(id)'
        and "prompt" not in entries["static"]
    )
    written = Path(jobs["standin_prompt"].job_dir) / "out" / "prompt.txt"
    assert written.read_text(encoding="utf-8") == 'a calm "news" anchor; $(id)'  # one argv item, no shell


async def test_an_unreadable_video_is_flagged_and_an_image_pick_clears_the_video(lab: TuiLab) -> None:
    from thtui.core.config import repo_root

    app = lab.app()
    notes = make_text_file(lab.tmp / "in" / "notes.mp4")
    async with app.run_test(size=(110, 44)) as pilot:
        screen = await _open(pilot, app)
        await _pick_video(pilot, app, notes)
        await wait_for(
            # Not the whole path: under xdist (…/popen-gw0/…) the line is long enough to wrap.
            pilot,
            lambda: "notes.mp4: ffmpeg cannot read it" in " ".join(screen_text(app).split()),
            30,
            "flagged",
        )
        await pilot.press("ctrl+r")
        await pilot.pause(0.1)
        assert app.runs.runs == {} and "fix 1 problem above" in screen_text(app)
        await pilot.press("ctrl+o")
        await pilot.pause(0.2)
        await pilot.press("ctrl+l", "ctrl+u", *str(repo_root() / "assets" / "portrait.jpg"), "enter")
        await wait_for(pilot, lambda: screen.values.videos == [], 5, "video cleared by the image pick")
        await wait_for(pilot, lambda: "(none: the image is used)" in screen_text(app), 5)
        await wait_for(pilot, lambda: "ffmpeg cannot read it" not in screen_text(app), 10, "error gone")
