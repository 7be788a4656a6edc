"""The App's long-lived work: installs, runs and the monitor, each in a thread worker that outlives any
screen. Workers call thtui.core exactly as the CLI does, turn its events into messages (post_message is
thread-safe) and never touch widgets; the handlers here apply messages to the state on the UI thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.signal import Signal
from textual.worker import Worker, WorkerState, get_current_worker

from thtui.core.events import Event
from thtui.core.jobs.events import JobFinished, JobLog, JobQueued, JobStarted, RunStage
from thtui.core.setup.events import LogLine, StepFailed, StepNote, StepStarted
from thtui.tui.foreign import ForeignRuns
from thtui.tui.loghub import ProgressThrottle
from thtui.tui.messages import InstallDone, InstallEvent, MonitorSampled, RunDone, RunEvent, WorkFailed
from thtui.tui.node_gpus import NodeBoard
from thtui.tui.services import attribute_processes
from thtui.tui.state import InstallProgress, MonitorHistory, RunTracker
from thtui.tui.stopping import ExitWatchdog, RunThreads, Stopping

if TYPE_CHECKING:
    from thtui.tui.app import ThtuiApp

INSTALL_ACTIONS = ("install", "reinstall", "uninstall", "verify")
MONITOR_OPEN_WAIT_S = 30.0  # NVML init on a busy 8-GPU box can take seconds
UI_SAMPLE_HZ = 2.0  # panels repaint at most this often: calm over SSH, still live


def install_log_key(solution: str) -> str:
    return f"install:{solution}"


def job_log_key(job_id: str) -> str:
    return f"job:{job_id}"


@dataclass(frozen=True)
class ResumeRequest:
    """Continue a stored run (its pending jobs; with retry_failed also its failed ones) as the same run."""

    run_id: str
    retry_failed: bool = True


def _is_run_error(exc: Exception) -> bool:
    from thtui.core.jobs.spec import RunError

    return isinstance(exc, RunError)


class CoreWorkers(Stopping):
    """Mixin for ThtuiApp (kept apart so app.py stays a small composition root)."""

    def init_core_state(self: ThtuiApp) -> None:
        self.installs: dict[str, InstallProgress] = {}
        self.monitor: Any = None  # thtui.core.monitor.Monitor once the monitor worker opened it
        self.latest_snapshot: Any = None
        self.latest_processes: tuple = ()
        self._monitor_stop = threading.Event()
        self._monitor_opened = threading.Event()  # set once self.monitor is usable (or failed to open)
        self.runs = RunTracker()
        self.foreign = ForeignRuns()  # runs of other thtui processes (thtui.tui.foreign)
        self.detached_runs: list[str] = []  # started here with "detach": named again when the app exits
        self.history = MonitorHistory()
        self.node_gpus = NodeBoard()  # a cluster run's nodes and their GPUs (thtui.tui.node_gpus)
        self.nodes_sampled: Signal[str] = Signal(self, "nodes-sampled")
        self._run_counter = 0
        # root pid -> (job id, solution) of running jobs. Replaced, never mutated, so the sampler thread
        # can read it without a lock.
        self.job_roots: dict[int, tuple[str, str]] = {}
        # Runs of this session that ended interrupted (resumable), appended by the run worker itself so
        # the hint printed after the app exits does not depend on messages the closing app never read.
        self.interrupted_runs: list[str] = []
        self.stop_signal: int | None = None  # SIGTERM/SIGHUP/SIGINT that is ending the app, if any
        self.run_threads = RunThreads()
        self.exit_watchdog: ExitWatchdog | None = None
        self.quit_question: Any = None  # the open "still running: stop and quit?" dialog, if any

    # ---- installs -----------------------------------------------------------------------------------
    def install_busy(self: ThtuiApp, name: str) -> bool:
        progress = self.installs.get(name)
        return progress is not None and progress.active

    def start_install(self: ThtuiApp, name: str, action: str = "install") -> bool:
        """Start install/reinstall/uninstall/verify of one solution; several may run at once."""
        if action not in INSTALL_ACTIONS:
            raise ValueError(action)
        if self.install_busy(name):
            self.notify(f"{name}: {self.installs[name].action} already running", severity="warning")
            return False
        progress = InstallProgress(name, action)
        self.installs[name] = progress
        buffer = self.logs.reset(install_log_key(name))
        buffer.append(f"--- {action} {name} ---")
        self._install_worker(name, action, progress.cancel)
        self.installs_changed.publish(name)
        self.refresh_busy()
        return True

    def cancel_install(self: ThtuiApp, name: str) -> bool:
        progress = self.installs.get(name)
        if progress is None or not progress.active:
            return False
        progress.cancel.set()
        self.logs.buffer(install_log_key(name)).append("--- cancel requested ---")
        self.installs_changed.publish(name)
        return True

    @work(thread=True, exit_on_error=False, group="install", description="Installing a solution")
    def _install_worker(self: ThtuiApp, name: str, action: str, cancel: threading.Event) -> None:
        from thtui.core import setup

        buffer = self.logs.buffer(install_log_key(name))

        def sink(event: Event) -> None:
            # LogLine is the high-rate one: it goes to the buffer, never through the message queue.
            if isinstance(event, LogLine):
                buffer.append(event.text)
                return
            if isinstance(event, StepStarted):
                buffer.append(f"== [{event.index}/{event.total}] {event.title}")
            elif isinstance(event, StepNote):
                buffer.append(f"note: {event.text}")
            elif isinstance(event, StepFailed):
                buffer.append(f"!! {event.step} failed: {event.error}")
                if event.hint:
                    buffer.append(f"   hint: {event.hint}")
            self.post_message(InstallEvent(name, event))

        loaded = self.catalog.get(name)
        if action in ("install", "reinstall"):
            problem = setup.install_problem(self.settings, [setup.target_of(loaded)])
            if problem is not None:  # nothing ran, nothing is recorded: the status stays what it was
                # One clause per line: the log pane does not wrap, and the whole sentence must be readable.
                for part in problem.replace(" (or ", "; (or ").split("; "):
                    buffer.append(f"!! {part}")
                self.post_message(InstallDone(name, action, False, problem, refused=True))
                return
        try:
            if action == "uninstall":
                result = setup.uninstall(self.settings, loaded, sink)
            elif action == "verify":
                result = setup.verify(self.settings, loaded, sink, cancel=cancel)
            else:
                result = setup.install(
                    self.settings, loaded, sink, cancel=cancel, force=(action == "reinstall")
                )
        except Exception as exc:  # expected failures come back in the result; this is a bug or an OS error
            buffer.append(f"!! {type(exc).__name__}: {exc}")
            self.post_message(InstallDone(name, action, False, f"{type(exc).__name__}: {exc}"))
            return
        ok = bool(getattr(result, "ok", True))
        self.post_message(
            InstallDone(name, action, ok, "" if ok else str(getattr(result, "error", "") or ""))
        )
        return

    def on_install_event(self: ThtuiApp, message: InstallEvent) -> None:
        progress = self.installs.get(message.solution)
        if progress is not None:
            progress.apply(message.event)
            self.installs_changed.publish(message.solution)
            self.refresh_busy()

    def on_install_done(self: ThtuiApp, message: InstallDone) -> None:
        progress = self.installs.get(message.solution)
        if progress is None:
            return
        progress.refused = message.refused
        progress.finish(message.ok, message.detail)
        ok = bool(progress.ok)
        what = f"{message.solution}: {message.action} {'done' if ok else 'failed'}"
        if message.refused:  # short: the whole explanation is in the log pane
            what = (
                f"{message.solution}: cannot {message.action}: {message.detail.split(';')[0]} (see its log)"
            )
        elif not ok and progress.error:
            what += f" — {progress.error}"
        self.notify(what, severity="information" if ok else "error", timeout=6)
        self.installs_changed.publish(message.solution)
        self.refresh_busy()

    # ---- runs ---------------------------------------------------------------------------------------
    def start_run(self: ThtuiApp, spec: Any) -> str:
        """Start a run (a RunSpec) in the background; returns the TUI's key for it."""
        self._run_counter += 1
        key = f"run-{self._run_counter}"
        view = self.runs.new_run(key)
        self._run_worker(key, spec, view.cancel)
        self.jobs_changed.publish(key)
        self.refresh_busy()
        return key

    @work(thread=True, exit_on_error=False, group="detach", description="Starting a background run")
    def start_detached_run(self: ThtuiApp, spec: Any, on_result: Any = None) -> str | None:
        """The Run form's detach option: the run goes on in a background thtui after this app quits.
        `on_result(line, ok)` is called on the UI thread with what to tell the user."""
        from thtui.tui.detached import start_detached_blocking

        return start_detached_blocking(self, spec, on_result)

    def cancel_run(self: ThtuiApp, key: str) -> bool:
        run = self.runs.runs.get(key)
        if run is None or not run.active:
            return False
        run.cancel.set()
        for job_id in run.job_ids:
            buf = self.logs.get(job_log_key(job_id))
            if buf is not None and self.runs.jobs[job_id].active:
                buf.append("--- cancel requested ---")
        self.jobs_changed.publish(key)
        return True

    def cancel_job(self: ThtuiApp, job_id: str) -> bool:
        """End one running job's process tree; the rest of its run goes on."""
        from thtui.core.jobs import cancel_job

        job = self.runs.jobs.get(job_id)
        if job is None or not job.active:
            return False
        if job.state == "queued" or not cancel_job(job_id):
            return False
        self.logs.buffer(job_log_key(job_id)).append("--- cancel requested ---")
        return True

    def run_key_of_job(self: ThtuiApp, job_id: str) -> str | None:
        return next((k for k, r in self.runs.runs.items() if job_id in r.job_ids), None)

    def run_key_of_run_id(self: ThtuiApp, run_id: str) -> str | None:
        return next((k for k, r in self.runs.runs.items() if r.run_id == run_id), None)

    @work(thread=True, exit_on_error=False, group="run", description="Running jobs")
    def _run_worker(self: ThtuiApp, key: str, spec: Any, cancel: threading.Event) -> None:
        from thtui.core.monitor import MonitorSnapshot

        throttles: dict[str, ProgressThrottle] = {}

        def sink(event: Event) -> None:
            if isinstance(event, JobLog):  # the high-rate one: buffered, announced once per batch
                throttle = throttles.get(event.job_id)
                if throttle is None:
                    throttle = throttles[event.job_id] = ProgressThrottle(
                        self.logs.buffer(job_log_key(event.job_id))
                    )
                throttle.line(event.line, event.replace_last)
                return
            if isinstance(event, MonitorSnapshot):
                self.post_message(MonitorSampled(event))
                return
            if isinstance(event, JobFinished) and event.job_id in throttles:
                throttles[event.job_id].flush()
            self.post_message(RunEvent(key, event))

        if self.live_monitor:
            # A run started right after launch must not race the monitor's opening: without the App's
            # monitor, start_run would open its own backend and miss an injected (or slow-to-open) GPU.
            self._monitor_opened.wait(MONITOR_OPEN_WAIT_S)
        with self.run_threads.running():
            self._run_blocking(key, spec, cancel, sink)

    def _run_blocking(self: ThtuiApp, key: str, spec: Any, cancel: threading.Event, sink: Any) -> None:
        from thtui.core.jobs import resume_run, start_run
        from thtui.core.jobs.foreign import refuse_resume_of_a_live_run
        from thtui.tui.orphan_check import settle_orphans

        try:
            if isinstance(spec, ResumeRequest):  # never pull a run out from under the thtui running it
                refuse_resume_of_a_live_run(self.settings.db_path, spec.run_id)
            settle_orphans(self, cancel, spec.run_id if isinstance(spec, ResumeRequest) else None)
            if isinstance(spec, ResumeRequest):
                # The App's monitor (with the injected GPU backend) samples the jobs too: one sampler,
                # and the GPU process table can name each job's processes.
                result = resume_run(
                    self.settings, self.catalog, spec.run_id, sink, cancel,
                    monitor=self.monitor, retry_failed=spec.retry_failed,
                )  # fmt: skip
            else:
                result = start_run(self.settings, self.catalog, spec, sink, cancel, monitor=self.monitor)
            if result.status == "interrupted":
                self.interrupted_runs.append(result.run_id)
        except Exception as exc:  # RunError (bad spec, nothing ran) or a bug: the user sees one line
            self.post_message(
                RunDone(key, f"{type(exc).__name__}: {exc}" if not _is_run_error(exc) else str(exc))
            )
            return
        self.post_message(RunDone(key, None))

    def on_run_event(self: ThtuiApp, message: RunEvent) -> None:
        event = message.event
        if self.node_gpus.apply(message.key, event):  # a cluster run's node readings (or a placement)
            self.nodes_sampled.publish(message.key)
            if type(event).__name__ != "JobPlaced":
                return
        job = self.runs.apply(message.key, event)
        if isinstance(event, JobQueued):
            self.logs.buffer(job_log_key(event.job.job_id))
        elif isinstance(event, RunStage) and event.level == "warning":
            # The run line shows only the current stage; a warning must stay in view (a toast).
            self.notify(event.detail, title=f"run {event.run_id}", severity="warning", timeout=15)
        elif isinstance(event, JobStarted) and job is not None:
            self.job_roots = {**self.job_roots, event.pid: (job.job_id, job.solution)}
        elif isinstance(event, JobFinished) and job is not None and job.pid is not None:
            self.job_roots = {pid: j for pid, j in self.job_roots.items() if j[0] != job.job_id}
        self.jobs_changed.publish(job.job_id if job else message.key)
        self.refresh_busy()

    def on_run_done(self: ThtuiApp, message: RunDone) -> None:
        self.runs.finish(message.key, message.error)
        if self.node_gpus.end_run(message.key):
            self.nodes_sampled.publish(message.key)
        run = self.runs.runs[message.key]
        if message.error:
            self.notify(f"run failed: {message.error}", severity="error", timeout=10)
        else:
            jobs = [self.runs.jobs[j] for j in run.job_ids]
            ok = sum(1 for j in jobs if j.state == "ok")
            self.notify(
                f"run {run.run_id}: {run.status} ({ok}/{len(jobs)} jobs ok)",
                severity="information" if run.status == "done" else "warning",
                timeout=8,
            )
        self.jobs_changed.publish(message.key)
        self.refresh_busy()

    # ---- monitor ------------------------------------------------------------------------------------
    def start_monitor(self: ThtuiApp) -> None:
        self._monitor_worker()

    @work(thread=True, exit_on_error=False, group="monitor", description="Sampling GPUs and host")
    def _monitor_worker(self: ThtuiApp) -> None:
        # Opening NVML can take a while (driver init): it happens here, never on the UI thread.
        from thtui.core.monitor import Monitor, open_backend

        try:
            backend = self.gpu_backend_factory() if self.gpu_backend_factory else open_backend("auto")
            monitor = Monitor(backend, rate_hz=max(UI_SAMPLE_HZ, self.monitor_hz))
            self.monitor = monitor
        finally:
            self._monitor_opened.set()

        def on_snapshot(snap: Any) -> None:  # on the sampler thread: NVML and psutil are fine here
            rows: tuple = ()
            if snap.gpus:
                rows = tuple(attribute_processes(backend.read_processes(), self.job_roots))
            self.post_message(MonitorSampled(snap, rows))

        unsubscribe = monitor.subscribe(on_snapshot, max_hz=UI_SAMPLE_HZ)
        monitor.start()
        worker = get_current_worker()
        try:
            # Wake up now and then: Textual cancels workers when the app shuts down.
            while not self._monitor_stop.wait(0.1) and not worker.is_cancelled:
                pass
        finally:
            unsubscribe()
            monitor.close()

    def on_monitor_sampled(self: ThtuiApp, message: MonitorSampled) -> None:
        self.latest_snapshot = message.snapshot
        self.latest_processes = message.processes
        self.history.add(message.snapshot)
        self.sampled.publish(message.snapshot)

    # ---- errors and quitting ------------------------------------------------------------------------
    @on(Worker.StateChanged)
    def _worker_state(self: ThtuiApp, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.post_message(WorkFailed(event.worker.description or event.worker.name, f"{error}"))

    def on_work_failed(self: ThtuiApp, message: WorkFailed) -> None:
        self.log.error(f"{message.what}: {message.error}")
        self.notify(f"{message.what}: {message.error}", severity="error", timeout=8)

    def busy_items(self: ThtuiApp) -> list[str]:
        items = [f"{p.solution} {p.label.split()[-1]}" for p in self.installs.values() if p.active]
        items += self.run_busy_items()
        return items

    def run_busy_items(self: ThtuiApp) -> list[str]:
        out = []
        for run in self.runs.active_runs:
            jobs = [self.runs.jobs[j] for j in run.job_ids]
            done = sum(1 for j in jobs if not j.active)
            if jobs and done < len(jobs):
                out.append(f"run {done}/{len(jobs)} jobs")
            else:  # no job yet (preparing inputs) or every job over (its videos still being scored)
                out.append(f"run {run.stage}")
        return out

    def refresh_busy(self: ThtuiApp) -> None:
        items = self.busy_items()
        if not items:
            self.quit_if_asked()
        self.busy_summary = ", ".join(items) if len(items) <= 2 else f"{len(items)} busy"
