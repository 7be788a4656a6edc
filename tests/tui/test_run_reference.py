"""Run form, "reference videos" (the papers' protocol, `thtui run --reference VIDEO|DIR`, issue 11 item 3),
through the real code paths: a reference video made here by the jawflap builtin from assets/portrait.jpg and
2 s of assets/speech.wav is picked in the keyboard picker, `static` runs on it, and its result is scored
against it (PSNR in scores.json and the store, the paper-style table in the report, the run in Results). A
reference without audio, or an empty folder, is flagged in the CLI's own words before anything runs, and
nothing is made."""

from __future__ import annotations

import json
import subprocess
import threading
import wave
from pathlib import Path

import numpy as np
import pytest
from media_factory import PORTRAIT, SPEECH
from PIL import Image
from runform_helpers import SIZES, checked, line, open_run_form, pick, reference_mode, run_folders, settle
from textual.widgets import Input, SelectionList
from tuilab import FROZEN_NOW, TuiLab, screen_text, wait_for

from thtui.core import tools
from thtui.core.config import Settings
from thtui.tui.screens import run_source
from thtui.tui.screens.file_picker import FilePickerScreen
from thtui.tui.screens.monitor import MonitorScreen

SIZE, SECONDS = 224, 2.0


def _ffmpeg(*args: str) -> None:
    subprocess.run([str(tools.ffmpeg().path), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def refs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A reference clip (the jaw-flap of the portrait on 2 s of speech, starting in a pause), the same clip
    without its audio track, and an empty folder."""
    from thtui.builtins.jawflap import make_video as jawflap_video

    d = tmp_path_factory.mktemp("references")
    portrait = d / "portrait.png"
    Image.open(PORTRAIT).convert("RGB").resize((SIZE, SIZE)).save(portrait)
    with wave.open(str(SPEECH), "rb") as wf:
        speech = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2")
    wav = d / "speech.wav"
    with wave.open(str(wav), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(16000)
        wf.writeframes(speech[: int(SECONDS * 16000)].tobytes())
    (d / "good").mkdir()
    clip = d / "good" / "interview clip.mp4"
    code, _ = jawflap_video(portrait, wav, clip, 25, str(tools.ffmpeg().path))
    assert code == 0
    (d / "bad").mkdir()
    no_audio = d / "bad" / "silent_film.mp4"
    _ffmpeg("-i", str(clip), "-an", "-c:v", "copy", str(no_audio))
    (d / "empty").mkdir()
    return {"clip": clip, "no_audio": no_audio, "empty": d / "empty"}


async def test_a_reference_run_from_the_form_is_scored_against_its_video(
    lab: TuiLab, refs: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("THTUI_NO_SCORE")  # tests/conftest.py turns scoring off for the other tests
    app = lab.app()
    async with app.run_test(size=(110, 44)) as pilot:
        screen = await open_run_form(pilot, app)
        await reference_mode(pilot, screen)
        await pilot.press("ctrl+r")  # nothing picked yet
        await wait_for(pilot, lambda: "choose a reference video, or a folder of them" in screen_text(app), 5)
        assert app.runs.runs == {}

        # The check (a face search) is held until Start is pressed: Start waits for it, then starts.
        go = threading.Event()
        real_check = run_source.check_references
        monkeypatch.setattr(run_source, "check_references", lambda paths: go.wait(30) and real_check(paths))
        await pick(pilot, app, refs["clip"])
        assert screen.values.references == [refs["clip"]] and screen._refs_pending
        await wait_for(pilot, lambda: "interview clip.mp4" in screen_text(app), 5, "reference shown")
        assert list(screen.query_one(SelectionList).selected) == ["static"]
        await pilot.press("ctrl+r")
        await wait_for(
            pilot, lambda: "checking the reference videos first" in line(screen, "#start-status"), 5
        )
        screen.query_one("#timeout", Input).value = "600"  # an edit re-checks the form: Start still waits
        await pilot.pause(0.2)
        assert "checking the reference videos first" in line(screen, "#start-status")
        assert app.runs.runs == {}
        go.set()
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), 30, "switch to Monitor")
        assert "references" not in screen.file_errors
        await wait_for(pilot, lambda: app.runs.runs and not app.runs.active_runs, 120, "run finished")
        (run,) = app.runs.runs.values()
        (job,) = app.runs.jobs.values()
        assert run.status == "done", (run.error, job.state, job.detail)

        await pilot.press("4")  # Results lists it like any run
        await wait_for(pilot, lambda: run.run_id in screen_text(app), 10, "run in Results")

    run_dir = Path(job.job_dir).parent
    run_json = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert run_json["spec"]["references"] == [str(refs["clip"].resolve())]
    assert run_json["spec"]["images"] == [] and run_json["spec"]["audios"] == []
    (record,) = run_json["inputs"]["references"]
    assert record["frame_index"] == 0 and (record["width"], record["height"]) == (SIZE, SIZE)
    scores = json.loads((Path(job.job_dir) / "scores.json").read_text(encoding="utf-8"))
    assert scores["reference"] == str(refs["clip"].resolve())
    assert 10.0 < scores["psnr"] < 60.0 and scores["ssim"] is not None  # a still portrait vs its jaw-flap

    # the store (what Results and reports read) has them, and the report gets its paper-style table
    from thtui.cli import main
    from thtui.core.scores.stored import run_scores
    from thtui.core.store import Store

    store = Store(lab.settings.db_path)
    try:
        assert run_scores(store, run.run_id)[job.job_id]["psnr"] == scores["psnr"]
    finally:
        store.close()
    assert main(["report", run.run_id, "--thumbs", "0"]) == 0
    report = capsys.readouterr().out
    assert "## Paper-style table" in report and f"{scores['psnr']:.2f} (n=1)" in report


async def test_a_reference_without_audio_is_flagged_in_the_clis_words_and_nothing_starts(
    lab: TuiLab, refs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from thtui.cli import main

    assert main(["run", "static", "--reference", str(refs["no_audio"])]) == 2
    cli_line = capsys.readouterr().err.strip().removeprefix("thtui: ")
    assert "has no audio track" in cli_line

    app = lab.app()
    async with app.run_test(size=(110, 44)) as pilot:
        screen = await open_run_form(pilot, app)
        await reference_mode(pilot, screen)
        await pick(pilot, app, refs["no_audio"])
        await pilot.press("ctrl+r")  # at once, as above: the pending check's answer refuses it
        await checked(pilot, screen)
        assert screen.file_errors["references"] == cli_line  # the same sentence as `thtui run --reference`
        await wait_for(pilot, lambda: "has no audio track" in line(screen, "#references-error"), 5)
        await wait_for(pilot, lambda: "fix 1 problem above" in screen_text(app), 5)
        assert app.runs.runs == {}
        assert app.screen is screen and screen.focused is screen.query_one("#pick-references")

        # a folder with no video in it, picked with ctrl+d from the typed path
        await pick(pilot, app, refs["empty"], key="ctrl+d")
        assert screen.values.references == [refs["empty"]]
        await checked(pilot, screen)
        assert "holds no video (.avi, .m4v, .mkv, .mov, .mp4, .webm)" in screen.file_errors["references"]
        await wait_for(pilot, lambda: "empty/" in screen_text(app), 5, "folder shown as a folder")
        await pilot.press("ctrl+r")
        await pilot.pause(0.1)
        assert app.runs.runs == {}

        # the folder of the good clip, picked from the tree: ctrl+d on a file row takes its folder
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, FilePickerScreen), 5, "picker")
        picker = app.screen
        await pilot.press("ctrl+l", "ctrl+u", *str(refs["clip"].parent), "enter")
        tree = picker.query_one("#picker-tree")
        await wait_for(pilot, lambda: tree.has_focus and tree.root.children, 5, "the folder listed")
        await pilot.press("down")  # from the folder's own row to the clip's
        await wait_for(pilot, lambda: tree.cursor_node.data.path == refs["clip"], 5, "the clip's row")
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: app.screen is screen, 5, "picker closed")
        assert screen.values.references == [refs["clip"].parent]
        await checked(pilot, screen)
        assert "references" not in screen.file_errors
        assert "references" not in screen.form_errors()
    assert run_folders(lab.settings) == []


async def test_a_check_that_breaks_is_said_and_start_does_not_wait_for_it(
    lab: TuiLab, refs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(paths):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(run_source, "check_references", broken)
    app = lab.app()
    async with app.run_test(size=(110, 44)) as pilot:
        screen = await open_run_form(pilot, app)
        await reference_mode(pilot, screen)
        await pick(pilot, app, refs["clip"])
        await pilot.press("ctrl+r")
        await checked(pilot, screen)
        said = "cannot check interview clip.mp4: OSError: [Errno 5] Input/output error"
        await wait_for(pilot, lambda: said in line(screen, "#references-error"), 5)
        await wait_for(pilot, lambda: "fix 1 problem above" in screen_text(app), 5)
        assert app.runs.runs == {}


# ---- snapshots --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
def test_snapshot_reference_mode_with_a_bad_cluster_address(
    snap_compare, settings: Settings, catalog, monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    """Reference mode after Start with no reference picked and a cluster address that is not one: both
    lines flagged (at 80x24 the form scrolls to the first, the reference row)."""
    from thtui.core.config import repo_root
    from thtui.tui.app import ThtuiApp

    monkeypatch.chdir(repo_root())
    monkeypatch.setenv("THTUI_ASCII", "")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)

    async def before(pilot) -> None:
        await pilot.press("2")
        await wait_for(pilot, lambda: pilot.app.screen.query(SelectionList), 10)
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.query_one(SelectionList).option_count, 10)
        await settle(pilot)
        await reference_mode(pilot, screen)
        screen.query_one("#cluster", Input).value = "gpu-head"
        await pilot.press("ctrl+r")
        await settle(pilot)

    app = ThtuiApp(settings, catalog, clock=lambda: FROZEN_NOW + 75, live_monitor=False, ascii_only=False)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=before)


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_reference_picker(
    snap_compare, settings: Settings, catalog, monkeypatch: pytest.MonkeyPatch, size: str
) -> None:
    """The picker for references: videos and folders, ctrl+d picks a folder."""
    from thtui.tui.app import ThtuiApp

    work = settings.outputs_dir.parent / "work"  # fixed contents, shown relative ("."), on every machine
    (work / "eval clips").mkdir(parents=True)
    for name in ("interview.mp4", "lecture.mov", "notes.txt"):
        (work / name).write_bytes(b"")
    monkeypatch.chdir(work)
    monkeypatch.setenv("THTUI_ASCII", "")

    async def before(pilot) -> None:
        await pilot.press("2")
        await wait_for(pilot, lambda: pilot.app.screen.query(SelectionList), 10)
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.query_one(SelectionList).option_count, 10)
        await reference_mode(pilot, screen)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FilePickerScreen), 5)
        await pilot.pause(0.3)
        await settle(pilot)

    app = ThtuiApp(settings, catalog, clock=lambda: FROZEN_NOW + 75, live_monitor=False, ascii_only=False)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=before)


async def test_start_waiting_for_the_check_is_dropped_when_the_source_mode_changes(
    lab: TuiLab, refs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Start waited for the references' check; the user then switched to audio files: the check's answer
    # used to start a run of the other mode on its own.
    app = lab.app()
    async with app.run_test(size=(110, 44)) as pilot:
        screen = await open_run_form(pilot, app)
        await reference_mode(pilot, screen)
        go = threading.Event()
        real_check = run_source.check_references
        monkeypatch.setattr(run_source, "check_references", lambda paths: go.wait(30) and real_check(paths))
        await pick(pilot, app, refs["clip"])
        await pilot.press("ctrl+r")
        await wait_for(
            pilot, lambda: "checking the reference videos first" in line(screen, "#start-status"), 5
        )
        await pilot.click("#mode-audio")
        await wait_for(pilot, lambda: screen.values.mode == "audio", 5, "audio mode")
        assert not screen._start_when_checked
        go.set()
        await wait_for(pilot, lambda: not screen._refs_pending, 30, "the check's answer")
        await pilot.pause(0.3)
        assert app.runs.runs == {} and app.screen is screen
    assert run_folders(lab.settings) == []
