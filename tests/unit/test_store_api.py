"""The SQLite store: schema (WAL, ratings ready), write path, read API the TUI and reports use."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest

from thtui.core.metrics import JobMetrics
from thtui.core.monitor import JobSample
from thtui.core.store import JobRow, Store


def metrics(status: str = "ok", wall: float = 2.0, **kw) -> JobMetrics:
    base = dict(
        status=status, exit_code=0 if status == "ok" else 1, failure_class=None if status == "ok" else "crash",
        failure_message=None, wall_s=wall, audio_s=4.0, rtf=wall / 4.0, vram_peak_mb=1024.0, vram_mean_mb=800.0,
        vram_peak_device_mb=1500.0, vram_mean_device_mb=1200.0, vram_attribution="process",
        vram_attribution_note="", gpu_index=0, gpu_util_mean=60.0, energy_j=120.0,
        energy_method="nvml-energy-counter", rss_peak_mb=900.0, cpu_time_s=1.5, sample_rate_hz=4.0, n_samples=2,
    )  # fmt: skip
    base.update(kw)
    return JobMetrics(**base)


def rows(run_id: str, run_dir: Path, n: int = 2) -> list[JobRow]:
    return [
        JobRow(
            f"{run_id}/sol/r{i}",
            i,
            "sol",
            0,
            "/in/face.png",
            "/in/a.wav",
            i,
            False,
            str(run_dir / f"sol/r{i}"),
        )
        for i in range(1, n + 1)
    ]


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "db" / "thtui.sqlite")
    yield s
    s.close()


def test_schema_wal_and_ratings_table(store: Store) -> None:
    db = sqlite3.connect(store.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    cols = {r[1] for r in db.execute("PRAGMA table_info(ratings)")}
    assert cols >= {"job_id", "rater", "criterion", "score", "note", "created_at"}
    with pytest.raises(sqlite3.IntegrityError):  # scores are 1..5, enforced by the database
        db.execute("INSERT INTO ratings(job_id, rater, criterion, score) VALUES ('x', 'me', 'lip_sync', 6)")
    db.close()


def test_run_lifecycle_and_read_api(store: Store, tmp_path: Path) -> None:
    run_dir = tmp_path / "outputs" / "r1"
    store.create_run("r1", {"solutions": ["sol"], "repeat": 2}, run_dir, rows("r1", run_dir))
    store.create_run("r1", {"solutions": ["sol"]}, run_dir, rows("r1", run_dir))  # resume: idempotent
    run = store.get_run("r1")
    assert run.status == "running" and run.counts == {"pending": 2} and run.spec["repeat"] == 2
    store.job_started("r1/sol/r1", pid=4242, pid_create_time=123.5, gpu=1)
    job = store.get_job("r1/sol/r1")
    assert (job.status, job.pid, job.gpu) == ("running", 4242, 1)
    samples = [JobSample(0.25 * i, 50.0, 100.0 * i, 400.0, 250.0, 300.0, 99.0, 2) for i in range(4)]
    m = metrics()
    store.job_finished("r1/sol/r1", m, samples, log_tail="last line")
    store.job_finished("r1/sol/r2", metrics("failed"), [], log_tail="Traceback ...")
    store.set_run_status("r1", "failed")

    jobs = store.list_jobs("r1")
    assert [j.id for j in jobs] == ["r1/sol/r1", "r1/sol/r2"]
    assert jobs[0].metrics == m and jobs[0].finished and jobs[1].failure_class == "crash"
    assert store.job_samples("r1/sol/r1") == samples
    got = store.job_metrics("r1/sol/r1")
    assert got["rtf"][0] == pytest.approx(0.5) and got["vram_peak_mb"] == (1024.0, "MiB", "process")
    assert got["energy_j"][2] == "nvml-energy-counter"
    run = store.get_run("r1")
    assert (
        run.status == "failed"
        and run.finished_at
        and run.counts == {"ok": 1, "failed": 1}
        and run.n_jobs == 2
    )

    # A rerun (resume) of a job clears its previous samples and metrics.
    store.job_started("r1/sol/r2", pid=1, pid_create_time=None, gpu=0)
    assert store.get_job("r1/sol/r2").metrics is None and store.job_metrics("r1/sol/r2") == {}


def test_list_runs_newest_first_and_delete(store: Store, tmp_path: Path) -> None:
    for rid in ("20260101-000000-aaaa", "20260102-000000-bbbb", "20260103-000000-cccc"):
        run_dir = tmp_path / rid
        run_dir.mkdir()
        (run_dir / "run.json").write_text("{}")
        store.create_run(rid, {}, run_dir, rows(rid, run_dir, 1))
    assert [r.id for r in store.list_runs()] == [
        "20260103-000000-cccc",
        "20260102-000000-bbbb",
        "20260101-000000-aaaa",
    ]
    assert [r.id for r in store.list_runs(limit=1)] == ["20260103-000000-cccc"]
    job = "20260102-000000-bbbb/sol/r1"
    store.job_finished(job, metrics(), [JobSample(0, None, None, None, None, 1.0, 0.0, 1)])
    db = sqlite3.connect(store.path)
    db.execute("INSERT INTO ratings(job_id, rater, criterion, score) VALUES (?, 'me', 'lip_sync', 4)", (job,))
    db.commit()
    db.close()
    assert store.delete_run("20260102-000000-bbbb", remove_files=True)
    assert store.get_run("20260102-000000-bbbb") is None and store.get_job(job) is None
    assert store.job_samples(job) == [] and not (tmp_path / "20260102-000000-bbbb").exists()
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT COUNT(*) FROM ratings").fetchone()[0] == 0  # cascaded
    db.close()
    assert not store.delete_run("nope")


def test_concurrent_writers_from_threads(store: Store, tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    store.create_run("r", {}, run_dir, rows("r", run_dir, 8))
    samples = [JobSample(float(i), 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1) for i in range(50)]
    threads = [
        threading.Thread(target=store.job_finished, args=(f"r/sol/r{i}", metrics(), samples))
        for i in range(1, 9)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get_run("r").counts == {"ok": 8}
    assert all(len(store.job_samples(f"r/sol/r{i}")) == 50 for i in range(1, 9))


def test_a_second_process_reads_while_writing(store: Store, tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    store.create_run("r", {}, run_dir, rows("r", run_dir, 1))
    reader = Store(store.path)  # e.g. the TUI while `thtui run` works in tmux
    try:
        assert reader.get_run("r").counts == {"pending": 1}
        store.job_finished("r/sol/r1", metrics())
        assert reader.get_job("r/sol/r1").status == "ok"
    finally:
        reader.close()


def test_a_run_whose_owner_died_is_stale(store: Store, tmp_path: Path) -> None:
    store.create_run("r", {}, tmp_path / "r", rows("r", tmp_path / "r", 1))
    assert store.get_run("r").owner_pid == os.getpid() and not store.get_run("r").stale
    db = sqlite3.connect(store.path)
    db.execute("UPDATE runs SET owner_pid=?, owner_started=1.0 WHERE id='r'", (os.getpid(),))  # a reused pid
    db.commit()
    db.close()
    assert store.get_run("r").stale
    store.set_run_status("r", "interrupted")
    assert not store.get_run("r").stale and store.get_run("r").owner_pid is None
