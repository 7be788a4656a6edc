"""The Run form's "detach" option: the run goes to a background `thtui run` process that keeps running
after the TUI quits (thtui.core.jobs.detach). Called on a thread worker: it waits for the run to record
itself (or for a refusal) and says which, with how to follow it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thtui.tui.app import ThtuiApp

START_WAIT_S = 30.0


def start_detached_blocking(
    app: ThtuiApp, spec: Any, on_result: Callable[[str, bool], None] | None = None
) -> str | None:
    """Returns the run id once the background run is in the store; None (after a toast) if it refused.
    `on_result(line, ok)` gets the same news on the UI thread (the Run form's status line)."""
    import psutil

    from thtui.core.jobs.detach import spec_argv, start_detached
    from thtui.core.store import Store

    def tell(line: str, ok: bool) -> None:
        app.call_from_thread(app.notify, line, severity="information" if ok else "error", timeout=12)
        if on_result is not None:
            app.call_from_thread(on_result, line, ok)

    run = start_detached(app.settings, spec_argv(spec))
    deadline = time.monotonic() + START_WAIT_S
    gone = False
    while time.monotonic() < deadline:
        store = Store(app.settings.db_path)
        try:
            if store.get_run(run.run_id) is not None:
                app.detached_runs.append(run.run_id)
                tell(
                    f"run {run.run_id} runs in the background (pid {run.pid}) and keeps running after you "
                    f"quit — Monitor (3) shows it; follow: thtui runs --follow {run.run_id}",
                    True,
                )
                return run.run_id
        finally:
            store.close()
        try:
            gone = psutil.Process(run.pid).status() == psutil.STATUS_ZOMBIE
        except psutil.Error:
            gone = True
        if gone:
            break
        time.sleep(0.2)
    if run.process is not None:
        run.process.poll()  # reap a refused one (no zombie left behind)
    if not gone:
        tell(
            f"background run {run.run_id} has not started after {START_WAIT_S:g} s; see {run.log_path}", False
        )
        return None
    last = run.log_path.read_text(errors="replace").strip().splitlines()[-1:] if run.log_path.exists() else []
    tell(f"background run not started: {last[0] if last else 'see ' + str(run.log_path)}", False)
    return None


def still_running(settings: Any, run_ids: list[str]) -> list[str]:
    """What to print as the app exits about the detached runs it started that are still running."""
    from thtui.core.store import Store

    if not settings.db_path.exists():
        return []
    store = Store(settings.db_path)
    try:
        runs = [store.get_run(run_id) for run_id in run_ids]
    finally:
        store.close()
    return [
        f"run {run.id} goes on in the background: follow it with  thtui runs --follow {run.id}  "
        f"(thtui run --cancel {run.id} ends it)"
        for run in runs
        if run is not None and run.state == "running"
    ]
