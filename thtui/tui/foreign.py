"""Runs owned by other thtui processes (a detached run, `thtui run` in another pane), shown live in the
Monitor and Results beside this session's own runs.

A thread worker asks the core once a second (thtui.core.jobs.foreign: states from the store, run state
decided by run_state), tails each job's log.txt into the same log buffers this session's jobs use, and
hands the UI a snapshot only when something changed. The UI thread turns it into JobViews, and adds the
jobs' root pids to `app.job_roots` so the GPU process table names their processes. Cancelling such a run
sends its owner the same SIGTERM as `thtui run --cancel ID`, after a confirmation.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from thtui.tui.state import JobView

if TYPE_CHECKING:
    from thtui.core.jobs.foreign import ForeignRun
    from thtui.tui.app import ThtuiApp

POLL_S = 1.0
# Job states as the Monitor names them: a stored "pending" is "queued" while its run is live; after the
# run ends it stays pending (resume runs it), and a job the store still calls running was interrupted.
LIVE_STATES = {"pending": "queued"}
ENDED_STATES = {"running": "interrupted"}
DONE = object()  # in the watcher's tails: a finished job whose log has been read to its end


@dataclass
class ForeignRunView:
    run_id: str
    owner_pid: int | None
    state: str
    job_ids: list[str] = field(default_factory=list)
    owner_command: str | None = None  # "run", "" for a TUI (see thtui.core.jobs.foreign.owner_command)

    @property
    def active(self) -> bool:
        return self.state == "running"


class ForeignRuns:
    """What the UI knows about other processes' runs; updated on the UI thread only."""

    def __init__(self) -> None:
        self.runs: dict[str, ForeignRunView] = {}
        self.jobs: dict[str, JobView] = {}
        self.roots: dict[int, tuple[str, str]] = {}  # root pid -> (job id, solution) of running jobs

    def run_of_job(self, job_id: str) -> ForeignRunView | None:
        job = self.jobs.get(job_id)
        return self.runs.get(job.run_id) if job is not None else None

    def apply(self, runs: list[ForeignRun]) -> None:
        roots: dict[int, tuple[str, str]] = {}
        for run in runs:
            view = self.runs.setdefault(run.run_id, ForeignRunView(run.run_id, run.owner.pid, run.state))
            view.state = run.state
            if run.live:  # a run resumed by another process has a new owner
                view.owner_pid = run.owner.pid
            if run.owner_command is not None:
                view.owner_command = run.owner_command
            states = LIVE_STATES if run.live else ENDED_STATES
            for job in run.jobs:
                jv = self.jobs.get(job.job_id)
                if jv is None:
                    jv = self.jobs[job.job_id] = JobView(job.job_id, run.run_id, job.solution)
                    view.job_ids.append(job.job_id)
                jv.state = states.get(job.status, job.status)
                jv.gpu, jv.pid = job.gpu, job.pid
                jv.started_at, jv.finished_at = job.started_at, job.finished_at
                jv.job_dir, jv.log_path = job.job_dir, str(job.log_path)
                if job.pid is not None and jv.state == "running":
                    roots[job.pid] = (job.job_id, job.solution)
        self.roots = roots


def _fingerprint(runs: list[ForeignRun]) -> tuple:
    return tuple(
        (
            r.run_id,
            r.state,
            tuple((j.job_id, j.status, j.gpu, j.pid, j.started_at, j.finished_at) for j in r.jobs),
        )
        for r in runs
    )


def start_foreign_watch(app: ThtuiApp) -> None:
    """Called on the UI thread (the app's on_mount)."""
    loop = asyncio.get_running_loop()
    app.run_worker(
        lambda: _watch(app, loop), thread=True, exit_on_error=False, group="foreign-runs",
        description="Watching runs of other thtui processes",
    )  # fmt: skip


def _watch(app: ThtuiApp, loop: asyncio.AbstractEventLoop) -> None:
    """The poll loop (a thread worker): never touches widgets, posts only changes. It hands them over with
    call_soon_threadsafe, which never blocks: call_from_thread would wait for good on a loop that stopped
    (the app quitting), and this thread would then hold up the interpreter's exit."""
    from textual.worker import get_current_worker

    from thtui.core.jobs.foreign import foreign_runs
    from thtui.core.store import Store

    worker = get_current_worker()
    store: Store | None = None
    tails: dict[str, object] = {}  # job id -> its LogTail, or DONE
    ending: set[str] = set()  # live at the last look: one more look gives their final job states
    last: tuple = ()
    last_error = ""
    try:
        while not worker.is_cancelled and not app._monitor_stop.is_set():
            if store is None and app.settings.db_path.exists():  # never create the store just to watch it
                store = Store(app.settings.db_path)
            if store is not None:
                try:
                    runs = foreign_runs(store, also=ending)
                except Exception as exc:  # a locked or damaged store: keep trying, log it once
                    if str(exc) != last_error:
                        last_error = str(exc)
                        app.log.warning(f"runs of other thtui processes: {exc}")
                    runs = []
                ending = {r.run_id for r in runs if r.live}
                for run in runs:
                    for job in run.jobs:
                        _tail_job(app, tails, job, final=not run.live)
                mark = _fingerprint(runs)
                if mark != last:
                    last = mark
                    loop.call_soon_threadsafe(apply_polled, app, runs)
            app._monitor_stop.wait(POLL_S)
    except RuntimeError:  # the app's loop is closed: it has exited
        pass
    finally:
        if store is not None:
            store.close()


def _tail_job(app: ThtuiApp, tails: dict[str, object], job: Any, final: bool) -> None:
    """New lines of a job's log into its buffer. A job that has ended is read once more, then left alone
    (until it runs again, resumed: its log is then a new file)."""
    from thtui.core.jobs.foreign import LogTail
    from thtui.tui.workers import job_log_key

    ended = final or job.status in ("ok", "failed", "cancelled")
    if job.started_at is None or (ended and tails.get(job.job_id) is DONE):
        return
    tail = tails.get(job.job_id)
    if not isinstance(tail, LogTail):
        tail = tails[job.job_id] = LogTail(job.log_path)
    lines = tail.read()
    if lines:
        app.logs.buffer(job_log_key(job.job_id)).extend(lines)
    if ended:
        tails[job.job_id] = DONE


def apply_polled(app: ThtuiApp, runs: list[ForeignRun]) -> None:
    """On the UI thread: fold a poll into app.foreign, the GPU table's job roots, and tell the screens."""
    old = app.foreign.roots
    app.foreign.apply(runs)
    # job_roots is replaced, never mutated (the sampler thread reads it without a lock).
    app.job_roots = {**{p: j for p, j in app.job_roots.items() if p not in old}, **app.foreign.roots}
    app.jobs_changed.publish("foreign")


# ---- cancel ------------------------------------------------------------------------------------------
def confirm_cancel(screen: Any, run_id: str, owner_pid: int | None) -> None:
    """Ask, then end another process's run the way `thtui run --cancel` does. When that process is a thtui
    TUI, the question says that its SIGTERM quits that TUI with all its work."""
    from thtui.tui.screens.confirm import ConfirmScreen

    def answered(yes: bool | None) -> None:
        if yes:
            screen.notify(f"cancelling run {run_id}: asking its thtui (pid {owner_pid}) to end its jobs…")
            screen.app.run_worker(
                lambda: _cancel(screen.app, run_id), thread=True, exit_on_error=False,
                group="foreign-cancel", description=f"Cancelling run {run_id}",
            )  # fmt: skip

    # Short lines: the dialog's label does not wrap (a long line is cut at the dialog's edge).
    detail = (
        f"Another thtui (pid {owner_pid}) runs it. Its jobs end and the run\n"
        "is kept as interrupted (resumable), as `thtui run --cancel` does."
    )
    view = screen.app.foreign.runs.get(run_id)
    if view is not None and view.owner_command == "":
        detail = (
            f"The thtui TUI with pid {owner_pid} runs it: this quits that TUI,\n"
            "ending all its runs and installs (runs resumable). C on its own\n"
            "Monitor ends only this run."
        )
    screen.app.push_screen(
        ConfirmScreen(f"Cancel run {run_id}?", detail, yes="Cancel run", no="Keep"), answered
    )


def _cancel(app: ThtuiApp, run_id: str) -> None:
    from thtui.core.jobs.foreign import CANCEL_WAIT_S, NotCancellable, request_cancel, wait_owner_gone
    from thtui.core.store import Store

    store = Store(app.settings.db_path)
    try:
        try:
            owner = request_cancel(store, run_id)
        except NotCancellable as exc:
            app.call_from_thread(app.notify, str(exc), severity="warning")
            return
        if not wait_owner_gone(owner, CANCEL_WAIT_S):
            app.call_from_thread(
                app.notify, f"run {run_id}: its thtui (pid {owner.pid}) has not ended after {CANCEL_WAIT_S:g} s",
                severity="error", timeout=10,
            )  # fmt: skip
            return
        run = store.get_run(run_id)
        state = run.state if run is not None else "missing"
    finally:
        with contextlib.suppress(Exception):
            store.close()
    app.call_from_thread(
        app.notify, f"run {run_id} is {state}; continue it with R in Results (thtui run --resume {run_id})",
        timeout=10,
    )  # fmt: skip
