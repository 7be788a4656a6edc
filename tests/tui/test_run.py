"""Run screen: the form flags bad input before anything runs, previews TTS, and starts runs through the
core (the same RunSpec and start_run as `thtui run`); cancel ends a job's whole process tree."""

from __future__ import annotations

from pathlib import Path

import pytest
from processes import alive
from textual.widgets import Input, SelectionList
from tuilab import TuiLab, screen_text, wait_for

from thtui.core.jobs.proctree import find_marked
from thtui.core.store import Store
from thtui.tui.screens.confirm import ConfirmScreen
from thtui.tui.screens.monitor import MonitorScreen
from thtui.tui.screens.run import RunScreen


async def open_run(pilot, app) -> RunScreen:
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, RunScreen), 5, "Run screen")
    screen = app.screen
    await wait_for(pilot, lambda: screen.query_one(SelectionList).option_count > 0, 10, "solutions listed")
    return screen


async def test_form_flags_problems_before_anything_runs(lab: TuiLab, tmp_path: Path) -> None:
    note = tmp_path / "note.png"
    note.write_text("this is not a picture")
    app = lab.app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_run(pilot, app)
        # Text mode with no text, no solution ticked, a bad repeat count.
        await pilot.press("right", "space")  # the radio set has focus: text -> speech
        screen.query_one(SelectionList).deselect_all()
        screen.query_one("#repeat", Input).value = "zero"
        await pilot.press("ctrl+r")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "type the words to speak" in text
        assert "select at least one ready solution" in text
        assert "repeat: a whole number" in text
        assert app.runs.runs == {}  # nothing started
        # A text file named .png is refused with the core's own message, as soon as it is picked.
        await pilot.press("ctrl+o")
        await pilot.pause(0.2)
        await pilot.press("ctrl+l", "ctrl+u", *str(note), "enter")
        await wait_for(
            pilot, lambda: "✗" in screen_text(app) and "note.png" in screen_text(app), 10, "image error"
        )
        assert app.runs.runs == {}


async def test_only_ready_solutions_are_selectable(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_run(pilot, app)
        options = screen.query_one(SelectionList)
        standin = (
            options.get_option("standin")
            if False
            else next(
                options.get_option_at_index(i)
                for i in range(options.option_count)
                if options.get_option_at_index(i).value == "standin"
            )
        )
        assert standin.disabled
        assert "not installed" in str(standin.prompt)
        assert list(options.selected) == ["static"]  # the one ready solution is ticked by default


async def test_tts_preview_shows_the_duration(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_run(pilot, app)
        await pilot.press("right", "space")
        screen.query_one("#text", Input).value = "Hello from the terminal."
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "s of speech by piper" in screen_text(app), 60, "TTS preview")
        assert "en_US-joe-medium" in screen_text(app)


async def test_run_two_solutions_and_see_them_in_results(lab: TuiLab) -> None:
    lab.install("standin")
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(pilot, app)
        screen.query_one(SelectionList).select("standin")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, MonitorScreen), 5, "switch to Monitor")
        await wait_for(pilot, lambda: app.runs.runs and not app.runs.active_runs, 60, "run finished")
        (run,) = app.runs.runs.values()
        assert run.status == "done", (
            run.error,
            [(j.job_id, j.state, j.detail) for j in app.runs.jobs.values()],
        )
        states = sorted((j.solution, j.state) for j in app.runs.jobs.values())
        assert states == [("standin", "ok"), ("static", "ok")]
        for job in app.runs.jobs.values():
            assert (Path(job.job_dir) / "result.mp4").exists()
        # The monitor showed the job's output (stand-in prints its progress bar to stderr).
        log_text = "\n".join(
            app.logs.get(f"job:{j}").since(0)[0][0] for j in app.runs.jobs if app.logs.get(f"job:{j}")
        )
        assert log_text
        await pilot.press("4")
        await wait_for(
            pilot, lambda: f"{run.run_id}" in screen_text(app) and "2/2 ok" in screen_text(app), 10
        )
        store = Store(lab.settings.db_path)
        assert store.get_run(run.run_id).status == "done"


@pytest.mark.parametrize("what", ["job", "run"])
async def test_cancel_ends_the_process_tree(lab: TuiLab, monkeypatch: pytest.MonkeyPatch, what: str) -> None:
    lab.install("standin")
    monkeypatch.setenv("STANDIN_MODE", "children")  # a child and a daemonised grandchild: cancel reaches all
    monkeypatch.setenv("STANDIN_DELAY", "60")
    app = lab.app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_run(pilot, app)
        options = screen.query_one(SelectionList)
        options.deselect_all()
        options.select("standin")
        await pilot.press("ctrl+r")
        await wait_for(
            pilot, lambda: any(j.state == "running" for j in app.runs.jobs.values()), 20, "job running"
        )
        await wait_for(pilot, lambda: len(lab.child_pids()) >= 2, 20, "children started")
        (job,) = app.runs.jobs.values()
        await pilot.press("c" if what == "job" else "C")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), 5, "asked first")
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.runs.active_runs, 30, "run over")
        assert job.state == "cancelled"
        assert alive([job.pid, *lab.child_pids()]) == []
        assert find_marked(job.job_id) == []


async def test_picking_a_file_replaces_the_default_and_marking_adds(lab: TuiLab, tmp_path: Path) -> None:
    from thtui.core.config import repo_root

    other = tmp_path / "me.jpg"
    other.write_bytes((repo_root() / "assets" / "portrait.jpg").read_bytes())
    app = lab.app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_run(pilot, app)
        assert [p.name for p in screen.values.images] == ["portrait.jpg"]  # the sample, by default
        # enter on a typed path: that file instead of the sample.
        await pilot.press("ctrl+o")
        await pilot.pause(0.2)
        await pilot.press("ctrl+l", "ctrl+u", *str(other), "enter")
        await wait_for(pilot, lambda: [p.name for p in screen.values.images] == ["me.jpg"], 10, "replaced")
        # space marks a second file in the picker (me.jpg is still marked): enter then adds it.
        await pilot.press("ctrl+o")
        await pilot.pause(0.2)
        await pilot.press("ctrl+l", "ctrl+u", *str(repo_root() / "assets"), "enter")
        await pilot.pause(0.3)
        tree = app.screen.query_one("#picker-tree")
        await wait_for(pilot, lambda: tree.cursor_node is not None and tree.cursor_node.children, 5)
        await pilot.press("down")  # portrait.jpg
        await pilot.press("space")
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: sorted(p.name for p in screen.values.images) == ["me.jpg", "portrait.jpg"],
            10,
            "added",
        )


async def test_a_stray_q_on_the_run_form_does_not_quit(lab: TuiLab) -> None:
    app = lab.app()
    async with app.run_test(size=(100, 40)) as pilot:
        await open_run(pilot, app)
        await pilot.press("q")
        await pilot.pause(0.1)
        assert app.is_running and isinstance(app.screen, RunScreen)
        assert any("ctrl+q quits" in str(n.message) for n in app._notifications)


async def test_a_run_warning_stays_in_view(lab: TuiLab) -> None:
    """`--gpus 3` with no GPU visible: the core warns (and goes on); the TUI shows it as a toast, not
    only as a stage line the next stage replaces."""
    from thtui.core.config import repo_root
    from thtui.core.jobs import RunSpec
    from thtui.core.monitor import NullGpuBackend

    app = lab.app(gpu_backend_factory=lambda: NullGpuBackend("no NVML here"))
    assets = repo_root() / "assets"
    async with app.run_test(size=(100, 40)) as pilot:
        key = app.start_run(
            RunSpec(
                solutions=("static",),
                images=(assets / "portrait.jpg",),
                audios=(assets / "speech.wav",),
                gpus=(3,),
            )
        )
        await wait_for(pilot, lambda: not app.runs.runs[key].active, 60, "run finished")
        assert app.runs.runs[key].status == "done"
        warned = [n for n in app._notifications if n.severity == "warning" and "--gpus 3" in str(n.message)]
        assert warned, [n.message for n in app._notifications]


async def test_picking_audio_in_text_mode_switches_to_audio(lab: TuiLab) -> None:
    from thtui.core.config import repo_root

    app = lab.app()
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await open_run(pilot, app)
        await pilot.press("right", "space")  # text -> speech
        assert screen.values.mode == "text"
        await pilot.press("ctrl+g")
        await pilot.pause(0.2)
        await pilot.press("ctrl+l", "ctrl+u", *str(repo_root() / "assets" / "speech.wav"), "enter")
        await wait_for(pilot, lambda: screen.values.mode == "audio", 10, "audio mode")
        assert [p.name for p in screen.values.audios] == ["speech.wav"]
