"""No orphan on any way out of `thtui run`: Ctrl+C typed in its terminal, SIGTERM, and a hang-up (a dropped
SSH connection) each end every process of the running job — the root, a child, and a grandchild that
double-forked and left the session — mark the run interrupted and say how to resume it."""

from __future__ import annotations

import json
import signal
import time

import pytest
from processes import alive
from ptyproc import PtyProcess
from runlab import Lab, marked

from thtui.core.store import Store

CHILDREN = {"STANDIN_MODE": "children", "STANDIN_DELAY": "60", "THTUI_GPU_BACKEND": "fake"}


def start_cli_run(lab: Lab) -> PtyProcess:
    proc = PtyProcess(
        ["-m", "thtui", "run", "standin", "--image", str(lab.image), "--audio", str(lab.audio)], env=CHILDREN
    )
    # The job, a child and the escaped grandchild are all up (the stand-in writes their pids).
    proc.wait_for(lambda: len(lab.child_pids()) >= 2, 60, "the job and its children")
    return proc


def job_pids(lab: Lab, timeout: float = 15.0) -> tuple[str, list[int]]:
    (run_dir,) = lab.settings.outputs_dir.glob("2*")
    # The job's children can be up before the run's thread has stored the job's pid: wait for the row.
    deadline = time.monotonic() + timeout
    while True:
        store = Store(lab.settings.db_path)
        try:
            roots = [j.pid for j in store.list_jobs(run_dir.name) if j.pid is not None]
        finally:
            store.close()
        if roots or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert roots, "the job's root pid is recorded"
    return run_dir.name, roots + lab.child_pids()


def assert_ended_and_resumable(lab: Lab, proc: PtyProcess, rc: int, pids: list[int], run_id: str) -> None:
    assert alive(pids) == [], f"left running: {alive(pids)}\n{proc.text[-2000:]}"
    assert marked(run_id) == []
    run_json = json.loads((lab.settings.outputs_dir / run_id / "run.json").read_text())
    assert run_json["status"] == "interrupted"
    store = Store(lab.settings.db_path)
    try:
        assert store.get_run(run_id).state == "interrupted"
    finally:
        store.close()
    assert rc != 0


@pytest.mark.slow
def test_ctrl_c_in_the_terminal_ends_the_job_tree(lab: Lab) -> None:
    proc = start_cli_run(lab)
    try:
        run_id, pids = job_pids(lab)
        proc.type(b"\x03")  # the terminal turns it into SIGINT for the whole foreground process group
        rc = proc.wait(60)
    finally:
        proc.close()
    assert "Traceback" not in proc.text and "KeyError" not in proc.text, proc.text[-3000:]
    assert_ended_and_resumable(lab, proc, rc, pids, run_id)
    assert rc == 130
    assert f"thtui run --resume {run_id}" in proc.text


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["sigterm", "sighup"])
def test_a_signal_to_thtui_ends_the_job_tree(lab: Lab, sig: int) -> None:
    proc = start_cli_run(lab)
    try:
        run_id, pids = job_pids(lab)
        proc.send(sig)
        rc = proc.wait(60)
    finally:
        proc.close()
    assert "Traceback" not in proc.text, proc.text[-3000:]
    assert_ended_and_resumable(lab, proc, rc, pids, run_id)
    assert rc == 128 + sig
    if sig == signal.SIGTERM:  # after a hang-up thtui writes nowhere: the terminal is taken to be gone
        assert f"thtui run --resume {run_id}" in proc.text


@pytest.mark.slow
def test_a_hang_up_ends_the_job_tree(lab: Lab) -> None:
    """The terminal itself goes away (ssh dropped, no tmux): SIGHUP, and every later write to it fails."""
    proc = start_cli_run(lab)
    try:
        run_id, pids = job_pids(lab)
        proc.hang_up()
        rc = proc.wait(60)
    finally:
        proc.close()
    assert_ended_and_resumable(lab, proc, rc, pids, run_id)
    assert rc == 128 + signal.SIGHUP


# The TUI as `thtui` runs it (run_tui: the app, then the resume hint), with a run started at launch.
TUI_SCRIPT = """
import sys
from pathlib import Path
from thtui.core.catalog import Catalog
from thtui.core.config import load_settings
from thtui.core.jobs import RunSpec
from thtui.core.monitor import open_backend
from thtui.tui.app import ThtuiApp, run_tui

class App(ThtuiApp):
    CSS_PATH = str(Path(sys.modules[ThtuiApp.__module__].__file__).parent / ThtuiApp.CSS_PATH)

    def on_ready(self) -> None:
        self.start_run(RunSpec(solutions=("standin",), images=(Path(sys.argv[1]),), audios=(Path(sys.argv[2]),)))

settings = load_settings()
app = App(settings, Catalog.load(settings.solutions_dir), gpu_backend_factory=lambda: open_backend("fake"))
sys.exit(run_tui(app))
"""
# (on, off) escape pairs the app must leave switched off: the alternate screen and mouse tracking.
MODES = {"alternate screen": ("\x1b[?1049h", "\x1b[?1049l"), "mouse": ("\x1b[?1000h", "\x1b[?1000l")}


def left_on(text: str) -> list[str]:
    """Terminal modes the output switched on and did not switch off again."""
    return [name for name, (on, off) in MODES.items() if on in text and text.rfind(off) < text.rfind(on)]


def start_tui_run(lab: Lab) -> PtyProcess:
    script = lab.tmp / "tui_app.py"  # a file: Textual reads an App subclass's source path
    script.write_text(TUI_SCRIPT)
    proc = PtyProcess([str(script), str(lab.image), str(lab.audio)], env=CHILDREN)
    proc.wait_for(lambda: len(lab.child_pids()) >= 2, 60, "the job and its children")
    return proc


@pytest.mark.slow
@pytest.mark.parametrize("way", ["sigterm", "sigint", "quit-key"])
def test_the_tui_ends_the_job_tree_and_restores_the_terminal(lab: Lab, way: str) -> None:
    proc = start_tui_run(lab)
    try:
        run_id, pids = job_pids(lab)
        if way == "quit-key":
            proc.type(b"q")
            proc.wait_for(lambda: "Stop and quit" in proc.text, 20, "the quit question")
            proc.type(b"y")
        else:
            proc.send(signal.SIGTERM if way == "sigterm" else signal.SIGINT)
        rc = proc.wait(60)
    finally:
        proc.close()
    assert "Traceback" not in proc.text, proc.text[-3000:]
    assert_ended_and_resumable(lab, proc, rc if way != "quit-key" else 1, pids, run_id)
    assert "\x1b[?1049h" in proc.text and left_on(proc.text) == []
    assert f"thtui run --resume {run_id}" in proc.text[proc.text.rfind("\x1b[?1049l") :]
    expected = {"sigterm": 128 + signal.SIGTERM, "sigint": 128 + signal.SIGINT, "quit-key": 0}
    assert rc == expected[way]


@pytest.mark.slow
def test_a_hang_up_under_the_tui_ends_the_job_tree(lab: Lab) -> None:
    proc = start_tui_run(lab)
    try:
        run_id, pids = job_pids(lab)
        proc.hang_up()
        rc = proc.wait(60)
    finally:
        proc.close()
    assert_ended_and_resumable(lab, proc, rc, pids, run_id)
    assert rc == 128 + signal.SIGHUP
