"""SVG snapshot of the Monitor showing a run of another thtui process beside this session's run: its
jobs marked '↗' with their run, its log (lines as tailed from its log file), its GPU process named after
its job. Fixed data (snapdata's clock and readings), no live watcher."""

from __future__ import annotations

import pytest
import snapdata
from snapdata import T0, GiB
from test_snapshots import SIZES, make_app, settle  # noqa: F401  (make_app is a fixture)

from thtui.core.jobs.foreign import ForeignJob, ForeignRun
from thtui.core.run_state import Owner
from thtui.tui.foreign import apply_polled
from thtui.tui.messages import MonitorSampled
from thtui.tui.services import GpuProcessRow

FOREIGN_RUN = "20250615-121500-f00d"


def feed_foreign(app) -> None:
    job, queued = f"{FOREIGN_RUN}/standin", f"{FOREIGN_RUN}/static"
    jobs = (
        ForeignJob(job, FOREIGN_RUN, "standin", "running", 0, 52001, T0 + 10, None, f"/out/{FOREIGN_RUN}/standin"),
        ForeignJob(queued, FOREIGN_RUN, "static", "pending", None, None, None, None, f"/out/{FOREIGN_RUN}/static"),
    )  # fmt: skip
    apply_polled(app, [ForeignRun(FOREIGN_RUN, "running", Owner(4242, T0, "host"), T0, jobs)])
    app.logs.buffer(f"job:{job}").extend(
        [f"[thtui] job {job} on GPU 0", "standin: loading checkpoints", "standin: started workers"]
    )


@pytest.mark.parametrize("size", SIZES)
def test_monitor_with_a_run_of_another_process(snap_compare, make_app, size: str) -> None:  # noqa: F811
    async def before(pilot) -> None:
        app = pilot.app
        snapdata.feed_monitor(app, n_gpus=1, with_jobs=False)
        *_, last = snapdata.snapshots(1)
        procs = (
            GpuProcessRow(52001, 0, 3 * GiB, f"{FOREIGN_RUN}/standin", "standin", "python inference.py"),
        )
        app.post_message(MonitorSampled(last, procs))
        snapdata.feed_run(app)
        feed_foreign(app)
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=SIZES[size], run_before=before)
