"""Timeout, cancel and leftovers end the whole process tree (checked with psutil); resume; scheduling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest
from processes import alive
from runlab import Lab, marked

from thtui.core.jobs import JobFinished, JobQueued, JobStarted, RunStarted, cancel_job, resume_run
from thtui.core.jobs.proctree import JOB_ENV_MARKER
from thtui.core.monitor import FakeDevice, MonitorSnapshot


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_timeout_kills_a_job_that_ignores_sigterm(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDIN_MODE", "hang_hard")
    started = time.monotonic()
    result, events = lab.run(lab.spec(timeout=1.0, grace_s=0.5))
    (job,) = result.jobs
    assert job.status == "failed" and job.metrics.failure_class == "timeout"
    assert 1.0 <= job.metrics.wall_s < 4 and time.monotonic() - started < 8
    assert job.metrics.exit_code == -9  # SIGTERM was ignored: SIGKILL after the grace period
    pid = events.of(JobStarted)[0].pid
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    log = Path(job.job.job_dir, "log.txt").read_text()
    assert "timeout after 1 s" in log and "SIGKILL was needed" in log


def test_cancel_ends_the_tree_including_escaped_children(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """Children: one in the job's group, one double-forked + setsid (outside group and session) that
    "holds the GPU". cancel_job must leave no process behind."""
    monkeypatch.setenv("STANDIN_MODE", "children")
    monkeypatch.setenv("STANDIN_VRAM_MB", "700")
    results = {}
    started = threading.Event()
    job_ids: list[str] = []

    def sink(e) -> None:
        if isinstance(e, JobStarted):
            job_ids.append(e.job_id)
            started.set()

    def go() -> None:
        from thtui.core.jobs import start_run

        results["r"] = start_run(lab.settings, lab.catalog, lab.spec(grace_s=1.0), sink, monitor=lab.monitor,
                                 store=lab.store(), fingerprint=False)  # fmt: skip

    t = threading.Thread(target=go)
    t.start()
    assert started.wait(10)
    _wait_for(lambda: len(lab.child_pids()) == 2)
    children = lab.child_pids()
    assert len(alive(children)) == 2
    escapee = psutil.Process(children[1])
    assert os.getsid(escapee.pid) != os.getsid(0) and os.getpgid(escapee.pid) == escapee.pid  # it left
    _wait_for(lambda: (s := lab.monitor.latest) is not None and (u := s.job(job_ids[0])) and u.vram_bytes)
    assert cancel_job(job_ids[0])
    t.join(20)
    assert not t.is_alive()
    (job,) = results["r"].jobs
    assert job.status == "cancelled" and results["r"].status == "interrupted"
    assert alive(children) == [], "a child survived the cancel"
    assert marked(results["r"].run_id) == []
    # The escapee's VRAM was attributed to the job while it lived (found through the job's tree).
    assert job.metrics.vram_peak_mb == pytest.approx(700, abs=1)
    assert not cancel_job(job_ids[0])  # no longer running


def test_processes_left_behind_after_exit_are_ended(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDIN_MODE", "orphans")
    result, _ = lab.run()
    (job,) = result.jobs
    assert job.status == "ok"
    children = lab.child_pids()
    assert len(children) == 2 and alive(children) == []
    assert sorted(job.metrics.extra["leftover_pids_killed"]) == sorted(children)


def test_resume_skips_finished_jobs_and_ends_stale_processes(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANDIN_DELAY", "0.1")
    cancel = threading.Event()
    finished: list[str] = []

    def stop_after_first(e) -> None:
        if isinstance(e, JobFinished):
            finished.append(e.job_id)
            cancel.set()  # Ctrl-C after the first job

    from thtui.core.jobs import start_run

    first = start_run(lab.settings, lab.catalog, lab.spec(repeat=3), stop_after_first, cancel,
                      monitor=lab.monitor, store=lab.store(), fingerprint=False)  # fmt: skip
    assert first.status == "interrupted"
    assert [j.status for j in first.jobs] == ["ok", "pending", "pending"]
    run_dir = Path(first.run_dir)
    r1 = run_dir / "standin" / "r1" / "result.mp4"
    stamp = r1.stat().st_mtime_ns
    assert lab.store().get_run(first.run_id).status == "interrupted"

    # A job process that outlived a killed thtui (kill -9, reboot of the harness only): resume ends it.
    stale = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"],
                             env={**os.environ, JOB_ENV_MARKER: f"{first.run_id}/standin/r2"})  # fmt: skip
    try:
        events: list = []
        second = resume_run(
            lab.settings, lab.catalog, first.run_id, events.append, monitor=lab.monitor, store=lab.store()
        )
        assert stale.wait(10) is not None
    finally:
        stale.kill()
    assert second.status == "done" and [j.status for j in second.jobs] == ["ok", "ok", "ok"]
    assert second.skipped == (finished[0],)
    started = next(e for e in events if isinstance(e, RunStarted))
    assert started.resumed and len([e for e in events if isinstance(e, JobQueued)]) == 2
    assert r1.stat().st_mtime_ns == stamp  # the finished job was not run again
    lines = [json.loads(x) for x in (run_dir / "results.jsonl").read_text().splitlines()]
    assert sorted(x["job_id"].rsplit("/", 1)[1] for x in lines) == ["r1", "r2", "r3"]
    run_json = json.loads((run_dir / "run.json").read_text())
    assert run_json["status"] == "done" and len(run_json["sessions"]) == 2
    assert lab.store().get_run(first.run_id).counts == {"ok": 3}
    summary = second.summary()[("standin", 0)]
    assert (
        summary["wall_s"].n == 3 and summary["wall_s"].min <= summary["wall_s"].mean <= summary["wall_s"].max
    )


def test_repeats_with_warmup_give_statistics(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANDIN_DELAY", "0.05")
    result, _ = lab.run(lab.spec(repeat=2, warmup=True))
    rels = [Path(j.job.job_dir).relative_to(result.run_dir).as_posix() for j in result.jobs]
    assert rels == ["standin/warmup", "standin/r1", "standin/r2"]
    assert result.jobs[0].job.warmup and result.jobs[0].metrics.warmup
    stats = result.summary()[("standin", 0)]["wall_s"]
    assert stats.n == 2  # the warm-up is excluded
    assert stats.mean == pytest.approx(sum(j.metrics.wall_s for j in result.jobs[1:]) / 2)
    assert "±" in stats.text()


def test_jobs_spread_over_gpus_but_one_per_clone(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two GPUs: the builtin static and the stand-in run side by side (one per GPU), while the two
    stand-in repeats never share the clone (it has exclusive_cwd; its lock file would fail the job)."""
    monkeypatch.setenv("STANDIN_DELAY", "0.6")
    lab.backend.devices = [FakeDevice(), FakeDevice()]
    gpus: dict[str, int | None] = {}
    windows: dict[str, list[float]] = {}

    def sink(e) -> None:
        if isinstance(e, JobStarted):
            gpus[e.job_id] = e.gpu
            windows[e.job_id] = [time.monotonic()]
        elif isinstance(e, JobFinished):
            windows[e.job_id].append(time.monotonic())

    from thtui.core.jobs import start_run

    result = start_run(lab.settings, lab.catalog, lab.spec("standin", "static", repeat=2, gpus=(0, 1)), sink,
                       monitor=lab.monitor, store=lab.store(), fingerprint=False)  # fmt: skip
    assert result.status == "done", [(j.job.job_id, j.metrics.failure_message) for j in result.jobs]
    stand = [j.job.job_id for j in result.jobs if j.job.solution == "standin"]
    static = [j.job.job_id for j in result.jobs if j.job.solution == "static"]
    a, b = (windows[k] for k in stand)
    assert a[1] <= b[0] or b[1] <= a[0], "two stand-in jobs shared the clone"
    overlap = any(
        min(windows[s][1], windows[t][1]) > max(windows[s][0], windows[t][0]) for s in stand for t in static
    )
    assert overlap, "no two jobs ran in parallel on two GPUs"
    assert {gpus[k] for k in stand} <= {0, 1}
    assert all(gpus[k] is None for k in static)  # no GPU needed: no CUDA device assigned


def test_monitor_snapshots_reach_the_sink_when_the_run_owns_the_monitor(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    from thtui.core.jobs import start_run

    monkeypatch.setenv("THTUI_GPU_BACKEND", "fake")  # the monitor start_run makes for itself
    events: list = []
    result = start_run(
        lab.settings, lab.catalog, lab.spec(), events.append, store=lab.store(), fingerprint=False
    )
    assert result.status == "done"
    snaps = [e for e in events if isinstance(e, MonitorSnapshot)]
    assert snaps and snaps[-1].gpus[0].name == "Fake GPU"


def test_a_job_the_user_cancelled_stays_cancelled_on_resume(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cancel_job drops one job (the user's choice): the rest of the run finishes as done, and resume
    leaves that job alone. A job stopped with its whole run is re-run by resume (tests above)."""
    monkeypatch.setenv("STANDIN_MODE", "hang")

    def sink(e) -> None:
        if isinstance(e, JobStarted) and e.job_id.endswith("/standin"):
            assert cancel_job(e.job_id)

    from thtui.core.jobs import start_run

    result = start_run(lab.settings, lab.catalog, lab.spec("standin", "static", grace_s=0.5), sink,
                       monitor=lab.monitor, store=lab.store(), fingerprint=False)  # fmt: skip
    by_solution = {j.job.solution: j for j in result.jobs}
    assert by_solution["standin"].status == "cancelled" and by_solution["static"].status == "ok"
    assert by_solution["standin"].metrics.extra["cancelled_by"] == "job"
    assert result.status == "done"
    again = resume_run(lab.settings, lab.catalog, result.run_id, monitor=lab.monitor, store=lab.store())
    assert sorted(again.skipped) == sorted(j.job.job_id for j in result.jobs)  # nothing ran again
    assert {j.job.solution: j.status for j in again.jobs} == {"standin": "cancelled", "static": "ok"}
