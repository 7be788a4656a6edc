"""Runs that outlive their terminal: `thtui run --detach` (a background owner process in a session of its
own, stdio to a log file), `thtui runs --follow ID|latest` / `thtui run --attach ID` (states from the run
store, lines from the jobs' log files; Ctrl+C only detaches) and `thtui run --cancel ID` (SIGTERM to the
owner recorded in the store, which then ends its jobs and records the run as interrupted)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from thtui.cli.common import CliError, console, resolve_run_id
from thtui.core.config import Settings

START_WAIT_S = 30.0  # preflight (and TTS) before the background run records itself
CANCEL_WAIT_S = 90.0  # the owner ends each job's tree: SIGTERM, SIGKILL after the grace period
FOLLOW_POLL_S = 0.5


def detach(settings: Settings, run_id: str) -> int:
    """Start this same `thtui` command line again, without --detach, as a background process."""
    from thtui.core.jobs.detach import start_detached
    from thtui.core.store import Store

    # The command line as typed, less --detach (global flags before `run` included; the data root and
    # outputs dir are passed explicitly too, so the background run uses the same ones).
    run = start_detached(settings, [a for a in sys.argv[1:] if a != "--detach"], run_id)
    proc, proc_pid, log_path = run.process, run.pid, run.log_path
    assert proc is not None
    out = console()
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:  # refused (bad input, nothing ran): its message is in the log
            sys.stderr.write(log_path.read_text(errors="replace"))
            return proc.returncode or 1
        store = Store(settings.db_path)
        try:
            if store.get_run(run_id) is not None:
                break
        finally:
            store.close()
        time.sleep(0.1)
    say = lambda text: out.print(text, markup=False, highlight=False, soft_wrap=True)  # noqa: E731
    say(f"run {run_id} runs in the background (pid {proc_pid}); it keeps running after you log out")
    say(f"  follow:  thtui runs --follow {run_id}")
    say(f"  cancel:  thtui run --cancel {run_id}")
    say(f"  log:     {log_path}")
    return 0


def _owner(settings: Settings, run_id: str):
    from thtui.core.store import Store

    store = Store(settings.db_path)
    try:
        run = store.get_run(run_id)
    finally:
        store.close()
    if run is None:
        raise CliError(f"no run {run_id!r} in {settings.db_path}")
    return run


def cancel(settings: Settings, given: str) -> int:
    from thtui.core.jobs.foreign import NotCancellable, owner_command, request_cancel, wait_owner_gone
    from thtui.core.store import Store

    run_id = resolve_run_id(settings, given)
    store = Store(settings.db_path)
    try:
        recorded = store.get_run(run_id)  # what the owner is, read before it is asked to end
        kind = owner_command(recorded.owner_pid) if recorded is not None and recorded.owner_pid else None
        owner = request_cancel(store, run_id)  # SIGTERM to its owner (the TUI's cancel sends the same)
    except NotCancellable as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    out = console()
    out.print(f"cancelling run {run_id}: asked its thtui (pid {owner.pid}) to end its jobs…", markup=False)
    if kind == "":  # SIGTERM quits a TUI, not just this run
        out.print(
            f"note: pid {owner.pid} is a thtui TUI: it quits, ending all its runs and installs", markup=False
        )
    if not wait_owner_gone(owner, CANCEL_WAIT_S):
        raise CliError(f"run {run_id}: its thtui (pid {owner.pid}) has not ended after {CANCEL_WAIT_S:g} s")
    run = _owner(settings, run_id)
    out.print(f"run {run_id} is {run.state}; continue it with  thtui run --resume {run_id}", markup=False)
    return 0


def follow(settings: Settings, given: str) -> int:
    """Print job state changes and new log lines of a run until it is no longer running."""
    from thtui.core.store import Store

    run_id = resolve_run_id(settings, given)
    _owner(settings, run_id)
    out = console()
    say = lambda text: out.print(text, markup=False, highlight=False, soft_wrap=True)  # noqa: E731
    say(f"following run {run_id} (Ctrl+C stops following; the run goes on)")
    states: dict[str, str] = {}
    offsets: dict[str, int] = {}
    try:
        while True:
            store = Store(settings.db_path)
            try:
                run = store.get_run(run_id)
                jobs = store.list_jobs(run_id)
            finally:
                store.close()
            for job in jobs:
                if states.get(job.id) != job.status:
                    states[job.id] = job.status
                    say(f"{job.id}: {job.status}")
                offsets[job.id] = _tail(Path(job.job_dir) / "log.txt", offsets.get(job.id, 0), job.id, say)
            state = run.state if run is not None else "missing"
            if state != "running":
                say(f"run {run_id} is {state}")
                if state == "interrupted":
                    say(f"continue it with  thtui run --resume {run_id}")
                return 0
            time.sleep(FOLLOW_POLL_S)
    except KeyboardInterrupt:
        say(f"stopped following; run {run_id} goes on (thtui run --cancel {run_id} stops it)")
        return 0


def _tail(path: Path, offset: int, job_id: str, say) -> int:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError:
        return offset
    end = data.rfind(b"\n") + 1  # whole lines only: the rest is read next time
    for line in data[:end].decode("utf-8", errors="replace").splitlines():
        say(f"  {job_id.split('/', 1)[-1]} | {line}")
    return offset + end
