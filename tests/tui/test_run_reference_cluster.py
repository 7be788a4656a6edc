"""Run form: the two run modes the CLI has (issue 11 item 3, issue 14), through the real code paths.

- "reference videos" (`thtui run --reference VIDEO|DIR`): a reference video made here by the jawflap builtin from
  assets/portrait.jpg and 2 s of assets/speech.wav is picked in the keyboard picker, `static` runs on it, and its
  result is scored against it (PSNR in scores.json, the run in Results). A reference without audio, or an empty
  folder, is flagged in the CLI's own words before anything runs, and nothing is made.
- "cluster" (`thtui run --cluster ADDRESS`): the address is checked for syntax in the form; Start reaches the
  cluster in a worker (the UI keeps answering), and Ray missing, a head nobody answers at, or a cluster whose
  nodes lack the solution (a stand-in `ray` module: no Ray cluster is started in TUI tests) is one clear line,
  with no run and no run folder. Opening and filling the form never imports Ray.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import types
import wave
from pathlib import Path

import numpy as np
import pytest
from media_factory import PORTRAIT, SPEECH
from PIL import Image
from textual.widgets import Input, SelectionList, Static
from tuilab import FROZEN_NOW, TuiLab, screen_text, wait_for

from thtui.core import tools
from thtui.core.config import Settings
from thtui.tui.run_form import CLUSTER_SYNTAX, FormValues, build_spec, cluster_address_problem, form_problems
from thtui.tui.screens import run_source
from thtui.tui.screens.file_picker import FilePickerScreen
from thtui.tui.screens.monitor import MonitorScreen
from thtui.tui.screens.run import RunScreen

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


def _run_folders(settings: Settings) -> list[Path]:
    out = settings.outputs_dir
    return [p for p in out.iterdir() if p.is_dir()] if out.exists() else []


async def _open(pilot, app) -> RunScreen:
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), 5, "Run screen")
    screen = app.screen
    await wait_for(pilot, lambda: screen.query_one(SelectionList).option_count > 0, 10, "solutions listed")
    return screen


async def _reference_mode(pilot, screen: RunScreen) -> None:
    screen.query_one("#mode").focus()
    await pilot.press("right", "right", "space")  # audio files -> text -> reference videos
    await wait_for(pilot, lambda: screen.values.mode == "reference", 5, "reference mode")
    assert _shown(screen, "#pick-references")
    assert "^o References" in screen_text(screen.app).splitlines()[-1]  # the key bar: ctrl+o picks them now
    assert not any(
        _shown(screen, f"#{name}") for name in ("pick-images", "pick-videos", "pick-audio", "text")
    )


def _shown(screen: RunScreen, selector: str) -> bool:
    widget = screen.query_one(selector)
    return all(node.display for node in widget.ancestors_with_self if node is not screen.app)


async def _pick(pilot, app, path: Path, key: str = "enter") -> None:
    await pilot.press("ctrl+o")  # in reference mode, ctrl+o picks references
    await wait_for(pilot, lambda: isinstance(app.screen, FilePickerScreen), 5, "picker")
    assert app.screen.folders  # a folder of references may be picked too
    await pilot.press("ctrl+l", "ctrl+u", *str(path), key)
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), 5, "picker closed")


def _line(screen: RunScreen, selector: str) -> str:
    return " ".join(str(screen.query_one(selector, Static).render()).split())


async def _checked(pilot, screen: RunScreen) -> None:
    await wait_for(pilot, lambda: not screen._refs_pending, 30, "references checked")


async def test_a_reference_run_from_the_form_is_scored_against_its_video(
    lab: TuiLab, refs: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("THTUI_NO_SCORE")  # tests/conftest.py turns scoring off for the other tests
    app = lab.app()
    async with app.run_test(size=(110, 44)) as pilot:
        screen = await _open(pilot, app)
        await _reference_mode(pilot, screen)
        await pilot.press("ctrl+r")  # nothing picked yet
        await wait_for(pilot, lambda: "choose a reference video, or a folder of them" in screen_text(app), 5)
        assert app.runs.runs == {}

        # The check (a face search) is held until Start is pressed: Start waits for it, then starts.
        go = threading.Event()
        real_check = run_source.check_references
        monkeypatch.setattr(run_source, "check_references", lambda paths: go.wait(30) and real_check(paths))
        await _pick(pilot, app, refs["clip"])
        assert screen.values.references == [refs["clip"]] and screen._refs_pending
        await wait_for(pilot, lambda: "interview clip.mp4" in screen_text(app), 5, "reference shown")
        assert list(screen.query_one(SelectionList).selected) == ["static"]
        await pilot.press("ctrl+r")
        await wait_for(
            pilot, lambda: "checking the reference videos first" in _line(screen, "#start-status"), 5
        )
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
        screen = await _open(pilot, app)
        await _reference_mode(pilot, screen)
        await _pick(pilot, app, refs["no_audio"])
        await pilot.press("ctrl+r")  # at once, as above: the pending check's answer refuses it
        await _checked(pilot, screen)
        assert screen.file_errors["references"] == cli_line  # the same sentence as `thtui run --reference`
        await wait_for(pilot, lambda: "has no audio track" in _line(screen, "#references-error"), 5)
        await wait_for(pilot, lambda: "fix 1 problem above" in screen_text(app), 5)
        assert app.runs.runs == {}
        assert app.screen is screen and screen.focused is screen.query_one("#pick-references")

        # a folder with no video in it, picked with ctrl+d from the typed path
        await _pick(pilot, app, refs["empty"], key="ctrl+d")
        assert screen.values.references == [refs["empty"]]
        await _checked(pilot, screen)
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
        await _checked(pilot, screen)
        assert "references" not in screen.file_errors
        assert "references" not in screen.form_errors()
    assert _run_folders(lab.settings) == []


async def test_a_check_that_breaks_is_said_and_start_does_not_wait_for_it(
    lab: TuiLab, refs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(paths):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(run_source, "check_references", broken)
    app = lab.app()
    async with app.run_test(size=(110, 44)) as pilot:
        screen = await _open(pilot, app)
        await _reference_mode(pilot, screen)
        await _pick(pilot, app, refs["clip"])
        await pilot.press("ctrl+r")
        await _checked(pilot, screen)
        said = "cannot check interview clip.mp4: OSError: [Errno 5] Input/output error"
        await wait_for(pilot, lambda: said in _line(screen, "#references-error"), 5)
        await wait_for(pilot, lambda: "fix 1 problem above" in screen_text(app), 5)
        assert app.runs.runs == {}


# ---- cluster ----------------------------------------------------------------------------------------------
def test_the_cluster_field_is_checked_for_syntax_only() -> None:
    for good in ("", "auto", "10.0.0.5:6379", "head.lan:6379", "ray://head:10001", "[::1]:6379"):
        assert cluster_address_problem(good) is None, good
    for bad in ("head", "head:", ":6379", "head:port", "head:70000", "http://head:6379", "a b:1"):
        assert cluster_address_problem(bad) == CLUSTER_SYNTAX, bad
    values = FormValues(images=[PORTRAIT], audios=[SPEECH], solutions=["static"], cluster="10.0.0.5:6379")
    assert form_problems(values, {"static"}, 1, {}) == {}
    spec = build_spec(values, 1)
    assert spec.cluster == "10.0.0.5:6379" and spec.gpus is None
    values.pack = True
    assert "untick 'pack jobs per GPU'" in form_problems(values, {"static"}, 1, {})["cluster"]
    values.pack, values.gpus = False, "0"
    assert "set GPUs to 'all'" in form_problems(values, {"static"}, 1, {})["cluster"]


def test_a_detached_cluster_run_keeps_its_address() -> None:
    """The form's detach option starts `thtui run` with spec_argv(spec): the CLI reads the same spec back."""
    from thtui.cli import parse_args
    from thtui.cli.cluster_cmd import with_cluster
    from thtui.cli.run_cmds import _spec
    from thtui.core.jobs.detach import spec_argv

    values = FormValues(images=[PORTRAIT], audios=[SPEECH], solutions=["static"], cluster="10.0.0.5:6379")
    spec = build_spec(values, 1)
    args = parse_args(spec_argv(spec))
    assert args.cluster == "10.0.0.5:6379" and with_cluster(args, _spec(args)) == spec


async def _start_on(pilot, screen: RunScreen, address: str) -> None:
    screen.query_one("#cluster", Input).value = address
    await pilot.press("ctrl+r")


async def test_a_bad_address_is_flagged_in_the_form_and_nothing_starts(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(110, 44)) as pilot:
        screen = await _open(pilot, app)
        await _start_on(pilot, screen, "my head node")
        await pilot.pause(0.1)
        assert CLUSTER_SYNTAX in _line(screen, "#cluster-error")
        assert app.runs.runs == {} and screen.focused is screen.query_one("#cluster", Input)
        assert not screen._cluster_pending  # no worker was started for a bad address


def _quiet_port() -> tuple[socket.socket, int, list[socket.socket]]:
    """A port that accepts no connection in time: a listener whose one-place queue is already full, so a
    connect waits for its timeout (as for a firewalled head), without a Ray cluster."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(2):
        s = socket.socket()
        s.settimeout(0.3)
        with contextlib.suppress(OSError):  # the first gets the queue's one place, the next waits
            s.connect(("127.0.0.1", port))
        fillers.append(s)
    return server, port, fillers


async def test_an_unreachable_head_is_one_line_while_the_ui_keeps_answering(lab: TuiLab) -> None:
    pytest.importorskip("ray")  # without Ray the answer is the install hint (the next test)
    server, port, fillers = _quiet_port()
    app = lab.app()
    try:
        async with app.run_test(size=(110, 44)) as pilot:
            screen = await _open(pilot, app)
            await _start_on(pilot, screen, f"127.0.0.1:{port}")
            await wait_for(pilot, lambda: "reaching the Ray cluster at" in _line(screen, "#start-status"), 5)
            # the connect waits (up to 5 s) in a worker: the form still takes keys meanwhile
            timeout = screen.query_one("#timeout", Input)
            timeout.focus()
            await pilot.press("4", "2")
            assert timeout.value == "42" and screen._cluster_pending
            await wait_for(pilot, lambda: not screen._cluster_pending, 30, "the cluster's answer")
            said = _line(screen, "#cluster-error")
            assert f"cannot reach the Ray cluster at 127.0.0.1:{port}: no answer in 5 s" in said, said
            assert "not started" in _line(screen, "#start-status")
            assert app.runs.runs == {} and app.screen is screen
    finally:
        for s in (server, *fillers):
            s.close()
    assert _run_folders(lab.settings) == []


async def test_ray_missing_says_how_to_install_it(lab: TuiLab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, as where it is absent
    app = lab.app()
    async with app.run_test(size=(110, 44)) as pilot:
        screen = await _open(pilot, app)
        await _start_on(pilot, screen, "127.0.0.1:6379")
        await wait_for(
            pilot, lambda: not screen._cluster_pending and "✗" in _line(screen, "#cluster-error"), 10
        )
        said = _line(screen, "#cluster-error")
        assert "Ray is not installed: pip install 'thtui[cluster]'" in said, said
        assert app.runs.runs == {}
    assert _run_folders(lab.settings) == []


def _stand_in_ray(nodes: list[dict]) -> types.ModuleType:
    """The two calls the head's preflight makes on a connected `ray` (no cluster started in TUI tests)."""
    ray = types.ModuleType("ray")
    ray.is_initialized = lambda: True  # type: ignore[attr-defined]
    ray.nodes = lambda: nodes  # type: ignore[attr-defined]
    return ray


async def test_a_cluster_without_the_solution_refuses_the_run_naming_it(
    lab: TuiLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = {"NodeID": "n1", "NodeName": "gpu-box-2", "NodeManagerAddress": "10.0.0.7", "Alive": True,
            "Resources": {"CPU": 8.0, "GPU": 1.0, "thtui_sol_standin": 1000.0}}  # fmt: skip
    monkeypatch.setitem(sys.modules, "ray", _stand_in_ray([node]))
    app = lab.app()
    async with app.run_test(size=(110, 60)) as pilot:
        screen = await _open(pilot, app)
        await _start_on(pilot, screen, "10.0.0.5:6379")
        await wait_for(
            pilot, lambda: not screen._cluster_pending and "✗" in _line(screen, "#cluster-error"), 10
        )
        said = _line(screen, "#cluster-error")
        assert "cannot start the run on the cluster" in said, said
        assert "no node of the cluster at 10.0.0.5:6379 has static ready (nodes: gpu-box-2: standin)" in said
        assert "thtui cluster setup static" in said
        assert app.runs.runs == {}
    assert _run_folders(lab.settings) == []


async def test_a_cluster_run_may_use_systems_installed_only_on_its_nodes(
    lab: TuiLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stand-in is not installed here: with a cluster address it is selectable (the nodes' installs count),
    the form's check passes, and the run goes to the App with the address in its spec (the core then runs it
    on the cluster; with the stand-in `ray` it would stop at the executor, which needs the real one)."""
    node = {"NodeID": "n1", "NodeName": "gpu-box", "NodeManagerAddress": "10.0.0.7", "Alive": True,
            "Resources": {"CPU": 8.0, "GPU": 1.0, "thtui_sol_static": 1000.0, "thtui_sol_standin": 1.0}}  # fmt: skip
    monkeypatch.setitem(sys.modules, "ray", _stand_in_ray([node]))
    app = lab.app()
    started = []
    monkeypatch.setattr(app, "start_run", lambda spec: started.append(spec) or "run-1")
    async with app.run_test(size=(110, 44)) as pilot:
        screen = await _open(pilot, app)
        selections = screen.query_one(SelectionList)

        def standin():
            options = [selections.get_option_at_index(i) for i in range(selections.option_count)]
            return next(o for o in options if o.value == "standin")

        def standin_enabled() -> bool:
            return not standin().disabled

        assert not standin_enabled()  # not installed on this box
        screen.query_one("#cluster", Input).value = "10.0.0.5:6379"
        await wait_for(pilot, standin_enabled, 5, "the stand-in selectable for a cluster run")
        assert "not here: on a node" in str(standin().prompt)
        assert "what the nodes have ready counts" in str(
            screen.query_one("#solutions-label", Static).render()
        )
        selections.select("standin")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: started, 10, "run handed to the App")
        (spec,) = started
        assert spec.cluster == "10.0.0.5:6379" and spec.solutions == ("static", "standin")
        assert _line(screen, "#cluster-error") == ""

        screen.query_one("#cluster", Input).value = ""  # this box again: the stand-in cannot run here
        await wait_for(pilot, lambda: not standin_enabled(), 5, "the stand-in not selectable here")
        assert list(selections.selected) == ["static"]


def test_ray_can_turn_on_its_fault_handler_under_textual() -> None:
    """`ray.init` runs `if not faulthandler.is_enabled(): faulthandler.enable(all_threads=False)`, on sys.stderr;
    under Textual that is a capture whose fileno() is -1, and the connect failed ("file.fileno() is not a valid
    file descriptor"; seen against a real local cluster). A fresh interpreter: pytest turns faulthandler on."""
    code = """
import asyncio, faulthandler, sys
from textual.app import App
from thtui.tui.services import _fault_handler_on_the_real_stderr

def rays_step():
    try:
        if not faulthandler.is_enabled():
            faulthandler.enable(all_threads=False)
        return "ok"
    except Exception as exc:  # RuntimeError on this Python
        return f"{type(exc).__name__}: {exc}"

async def main():
    async with App().run_test() as pilot:
        before = rays_step()
        faulthandler.disable()
        _fault_handler_on_the_real_stderr()
        print(sys.stderr.fileno(), "|", before, "|", rays_step())

asyncio.run(main())
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == (
        "-1 | RuntimeError: file.fileno() is not a valid file descriptor | ok"
    ), proc.stdout


def test_opening_and_filling_the_form_does_not_import_ray(settings: Settings) -> None:
    code = """
import asyncio, sys
from thtui.core.catalog import Catalog
from thtui.core.config import load_settings
from thtui.tui.app import ThtuiApp
from thtui.tui.screens.run import RunScreen

async def main():
    settings = load_settings()
    app = ThtuiApp(settings, Catalog.load(settings.solutions_dir), live_monitor=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        while not isinstance(app.screen, RunScreen):
            await pilot.pause(0.05)
        while not app.screen.query_one("#solutions").option_count:
            await pilot.pause(0.05)
        app.screen.query_one("#cluster").value = "10.0.0.5:6379"
        app.screen.query_one("#repeat").value = "0"
        await pilot.press("ctrl+r")  # refused by the form (repeat 0): no cluster is reached
        await pilot.pause(0.5)
        errors = app.screen.form_errors()
        print("ray" in sys.modules, sorted(errors), app.screen.values.cluster)

asyncio.run(main())
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[-3:] == ["False", "['repeat']", "10.0.0.5:6379"], (
        proc.stdout + proc.stderr[-2000:]
    )


# ---- snapshots --------------------------------------------------------------------------------------------
SIZES = {"80x24": (80, 24), "160x48": (160, 48)}


async def settle(pilot) -> None:
    """Wait for our own workers (DirectoryTree keeps a loader worker alive: not that one), as test_snapshots."""
    from textual.widgets import DirectoryTree

    for _ in range(2):
        ours = [w for w in pilot.app.workers if not isinstance(w.node, DirectoryTree) and not w.is_finished]
        if ours:
            await pilot.app.workers.wait_for_complete(ours)
        await pilot.pause(0.1)


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
        await _reference_mode(pilot, screen)
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
        await _reference_mode(pilot, screen)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, FilePickerScreen), 5)
        await pilot.pause(0.3)
        await settle(pilot)

    app = ThtuiApp(settings, catalog, clock=lambda: FROZEN_NOW + 75, live_monitor=False, ascii_only=False)
    assert snap_compare(app, terminal_size=SIZES[size], run_before=before)
