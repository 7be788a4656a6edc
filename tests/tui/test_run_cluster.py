"""Run form, "cluster" (`thtui run --cluster ADDRESS`, issue 14): the address is checked for syntax in the form;
Start reaches the cluster in a worker (the UI keeps answering), and Ray missing, a head nobody answers at, or a
cluster whose nodes lack the solution (a stand-in `ray` module: no Ray cluster is started in TUI tests; the
cluster integration tests do that) is one clear line, with no run and no run folder. Opening and filling the
form never imports Ray."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import types

import pytest
from media_factory import PORTRAIT, SPEECH
from runform_helpers import line, open_run_form, run_folders
from textual.widgets import Input, SelectionList, Static
from tuilab import TuiLab, wait_for

from thtui.core.config import Settings
from thtui.tui.run_form import CLUSTER_SYNTAX, FormValues, build_spec, cluster_address_problem, form_problems
from thtui.tui.screens.run import RunScreen


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
        screen = await open_run_form(pilot, app)
        await _start_on(pilot, screen, "my head node")
        await pilot.pause(0.1)
        assert CLUSTER_SYNTAX in line(screen, "#cluster-error")
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


async def test_an_unreachable_head_is_one_line_while_the_ui_keeps_answering(
    lab: TuiLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray")  # without Ray the answer is the install hint (the next test)
    from thtui.core.cluster import connect as conn

    # The probe of a firewalled head waits its 5 s (the real probe: test_cluster_cli.py); here it is held
    # until the keys below are in, so a loaded machine cannot answer before the form is tried.
    typed = threading.Event()
    real_probe = conn._probe

    def held_probe(address: str, timeout: float = 5.0) -> None:
        typed.wait(30)
        real_probe(address, timeout=0.5)

    monkeypatch.setattr(conn, "_probe", held_probe)
    # Not connected, whatever this test process did before (a cluster fixture in the same xdist worker
    # leaves Ray connected, and a connection thtui did not make is reused without a probe).
    monkeypatch.setattr(conn, "ray_module", lambda: types.SimpleNamespace(is_initialized=lambda: False))
    server, port, fillers = _quiet_port()
    app = lab.app()
    try:
        async with app.run_test(size=(110, 44)) as pilot:
            screen = await open_run_form(pilot, app)
            await _start_on(pilot, screen, f"127.0.0.1:{port}")
            await wait_for(pilot, lambda: "reaching the Ray cluster at" in line(screen, "#start-status"), 20)
            # the connect waits in a worker: the form still takes keys meanwhile
            timeout = screen.query_one("#timeout", Input)
            timeout.focus()
            await pilot.press("4", "2")
            assert timeout.value == "42" and screen._cluster_pending
            typed.set()
            await wait_for(pilot, lambda: not screen._cluster_pending, 30, "the cluster's answer")
            said = line(screen, "#cluster-error")
            assert f"cannot reach the Ray cluster at 127.0.0.1:{port}: no answer in 0.5 s" in said, said
            assert "not started" in line(screen, "#start-status")
            assert app.runs.runs == {} and app.screen is screen
    finally:
        typed.set()
        for s in (server, *fillers):
            s.close()
    assert run_folders(lab.settings) == []


async def test_ray_missing_says_how_to_install_it(lab: TuiLab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError, as where it is absent
    app = lab.app()
    async with app.run_test(size=(110, 44)) as pilot:
        screen = await open_run_form(pilot, app)
        await _start_on(pilot, screen, "127.0.0.1:6379")
        await wait_for(
            pilot, lambda: not screen._cluster_pending and "✗" in line(screen, "#cluster-error"), 10
        )
        said = line(screen, "#cluster-error")
        assert "Ray is not installed: pip install 'thtui[cluster]'" in said, said
        assert app.runs.runs == {}
    assert run_folders(lab.settings) == []


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
        screen = await open_run_form(pilot, app)
        await _start_on(pilot, screen, "10.0.0.5:6379")
        await wait_for(
            pilot, lambda: not screen._cluster_pending and "✗" in line(screen, "#cluster-error"), 10
        )
        said = line(screen, "#cluster-error")
        assert "cannot start the run on the cluster" in said, said
        assert "no node of the cluster at 10.0.0.5:6379 has static ready (nodes: gpu-box-2: standin)" in said
        assert "thtui cluster setup static" in said
        assert app.runs.runs == {}
    assert run_folders(lab.settings) == []


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
        screen = await open_run_form(pilot, app)
        selections = screen.query_one(SelectionList)

        def standin():
            options = [selections.get_option_at_index(i) for i in range(selections.option_count)]
            return next(o for o in options if o.value == "standin")

        def standin_enabled() -> bool:
            return not standin().disabled

        assert not standin_enabled()  # not installed on this box
        screen.query_one("#cluster", Input).value = "10.0.0.5:6379"
        await wait_for(pilot, standin_enabled, 5, "the stand-in selectable for a cluster run")
        assert "not installed here" in str(standin().prompt)
        assert "what the nodes have ready counts" in str(
            screen.query_one("#solutions-label", Static).render()
        )
        selections.select("standin")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: started, 10, "run handed to the App")
        (spec,) = started
        assert spec.cluster == "10.0.0.5:6379" and spec.solutions == ("static", "standin")
        assert line(screen, "#cluster-error") == ""

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
