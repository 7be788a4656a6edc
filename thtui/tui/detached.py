"""The Run form's "detach" option: the run goes to a background `thtui run` process that keeps running
after the TUI quits (thtui.core.jobs.detach). Called on a thread worker: it waits for the run to record
itself (or for a refusal) and says which, with how to follow it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from thtui.tui.app import ThtuiApp

START_WAIT_S = 30.0


def start_detached_blocking(app: ThtuiApp, spec: Any) -> str | None:
    """Returns the run id once the background run is in the store; None (after a toast) if it refused."""
    import psutil

    from thtui.core.jobs.detach import spec_argv, start_detached
    from thtui.core.store import Store

    run = start_detached(app.settings, spec_argv(spec))
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        store = Store(app.settings.db_path)
        try:
            if store.get_run(run.run_id) is not None:
                app.call_from_thread(
                    app.notify,
                    f"run {run.run_id} runs in the background (pid {run.pid}) and keeps running after you quit; "
                    f"follow: thtui runs --follow {run.run_id}",
                    timeout=10,
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
    last = run.log_path.read_text(errors="replace").strip().splitlines()[-1:] if run.log_path.exists() else []
    app.call_from_thread(
        app.notify, f"background run not started: {last[0] if last else 'see ' + str(run.log_path)}",
        severity="error", timeout=10,
    )  # fmt: skip
    return None
