"""The run matrix (ids, dirs, warm-ups, cases) and the queue's placement rules."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from thtui.core.catalog import Catalog
from thtui.core.jobs.matrix import build_matrix, plan_for
from thtui.core.jobs.queue import JobQueue
from thtui.core.jobs.spec import RunError, RunSpec


def matrix(catalog: Catalog, tmp_path: Path, **kw):
    kw.setdefault("images", (tmp_path / "face.png",))
    kw.setdefault("audios", (tmp_path / "a.wav",))
    spec = RunSpec(**kw)
    return build_matrix(spec, catalog, "RUN", tmp_path / "RUN", spec.audios)


def rel(jobs) -> list[str]:
    return [j.info.job_id for j in jobs]


def test_single_job_layout(catalog: Catalog, tmp_path: Path) -> None:
    jobs = matrix(catalog, tmp_path, solutions=("static",))
    assert rel(jobs) == ["RUN/static"] and jobs[0].info.job_dir == str(tmp_path / "RUN" / "static")


def test_repeats_warmup_and_cases(catalog: Catalog, tmp_path: Path) -> None:
    jobs = matrix(catalog, tmp_path, solutions=("static", "sadtalker"), repeat=2, warmup=True,
                  audios=(tmp_path / "a.wav", tmp_path / "b b.wav"))  # fmt: skip
    assert rel(jobs) == [
        "RUN/static/0-face-a/warmup", "RUN/static/0-face-a/r1", "RUN/static/0-face-a/r2", "RUN/static/1-face-b_b/r1",
        "RUN/static/1-face-b_b/r2", "RUN/sadtalker/0-face-a/warmup", "RUN/sadtalker/0-face-a/r1", "RUN/sadtalker/0-face-a/r2",
        "RUN/sadtalker/1-face-b_b/r1", "RUN/sadtalker/1-face-b_b/r2",
    ]  # fmt: skip
    assert [j.info.repeat for j in jobs[:3]] == [0, 1, 2] and jobs[0].info.warmup and not jobs[1].info.warmup
    assert jobs[3].case.index == 1 and jobs[3].info.audio.endswith("b b.wav")


def test_plan_scratch_stays_unique_when_outputs_path_is_unsafe(
    catalog: Catalog, settings, tmp_path: Path
) -> None:
    spec = RunSpec(
        solutions=("sadtalker",), images=(tmp_path / "f.png",), audios=(tmp_path / "a.wav",), repeat=2
    )
    run_dir = tmp_path / "my outputs.v2" / "RUN"  # a space and a dot: upstream scripts would choke
    jobs = build_matrix(spec, catalog, "RUN", run_dir, spec.audios)
    plans = [plan_for(j, settings, 0) for j in jobs]
    assert plans[0].scratch != plans[1].scratch and " " not in plans[0].scratch
    assert plans[0].job_dir == str(run_dir / "sadtalker" / "r1")
    assert plans[0].env["CUDA_VISIBLE_DEVICES"] == "0"


def test_spec_validation(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="either --audio"):
        RunSpec(solutions=("static",), images=(tmp_path,))
    with pytest.raises(RunError, match="either --audio"):
        RunSpec(solutions=("static",), images=(tmp_path,), audios=(tmp_path,), text="hi")
    with pytest.raises(RunError, match="--repeat"):
        RunSpec(solutions=("static",), images=(tmp_path,), text="hi", repeat=0)
    spec = RunSpec(solutions=("a", "a", "b"), images=(tmp_path,), text="hi", gpus=("1",), timeout=5)
    assert spec.solutions == ("a", "b") and spec.gpus == (1,)
    assert RunSpec.from_json(spec.to_json()) == RunSpec(
        solutions=("a", "b"), images=(tmp_path.resolve(),), text="hi", gpus=(1,), timeout=5
    )


def test_queue_waits_for_warmup_and_keeps_clones_exclusive(catalog: Catalog, tmp_path: Path) -> None:
    jobs = matrix(catalog, tmp_path, solutions=("sadtalker", "static"), repeat=2, warmup=True)
    q = JobQueue(jobs, exclusive={"sadtalker"})
    first = q.take()
    assert first.info.job_id == "RUN/sadtalker/warmup"
    second = q.take()  # sadtalker's clone is busy and its timed jobs wait for the warm-up: static goes
    assert second.info.job_id == "RUN/static/warmup"
    got: list = []
    t = threading.Thread(target=lambda: got.append(q.take()))
    t.start()
    t.join(0.3)
    assert t.is_alive()  # nothing may start: both warm-ups still running
    q.done(second)
    t.join(2)
    assert got[0].info.job_id == "RUN/static/r1"  # static is not exclusive and its warm-up is done
    q.done(first)
    assert q.take().info.job_id == "RUN/sadtalker/r1"
    q.close()
    assert q.take() is None
