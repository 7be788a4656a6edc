"""Before a TUI run starts: processes of an interrupted run (its thtui was killed) still alive are shown
in a question — end them, or run alongside them — instead of silently sharing the GPU with them.
Runs on the run's worker thread (the process scan reads /proc): the question goes to the UI thread."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from thtui.core.wording import plural

if TYPE_CHECKING:
    from thtui.tui.app import ThtuiApp


def settle_orphans(app: ThtuiApp, cancel: threading.Event, exclude: str | None = None) -> None:
    from thtui.core.jobs.orphans import end_orphans, find_orphans
    from thtui.core.store import Store

    store = Store(app.settings.db_path)
    try:
        orphans = [o for o in find_orphans(store) if o.run_id != exclude]
    finally:
        store.close()
    if not orphans:
        return
    pids = [pid for o in orphans for pid in o.pids]
    answered = threading.Event()
    answer: dict[str, bool] = {}

    def ask() -> None:
        from thtui.tui.screens.confirm import ConfirmScreen

        def done(yes: bool | None) -> None:
            answer["yes"] = bool(yes)
            answered.set()

        runs = ", ".join(o.run_id for o in orphans)
        question = f"{plural(len(pids), 'process')} of interrupted run {runs} still running"
        detail = (f"pid {', '.join(map(str, pids))[:120]}: left by a thtui that was killed, maybe holding a GPU. "
                  "End them before this run starts? (No: run alongside them)")  # fmt: skip
        app.push_screen(ConfirmScreen(question, detail, yes="End them", no="Run alongside"), done)

    app.call_from_thread(ask)
    while not answered.wait(0.2):
        if cancel.is_set():  # the app is quitting: no answer will come
            return
    if answer.get("yes"):
        ended = end_orphans(orphans)
        app.call_from_thread(
            app.notify, f"ended {plural(len(ended), 'process')} of interrupted runs", timeout=6
        )
