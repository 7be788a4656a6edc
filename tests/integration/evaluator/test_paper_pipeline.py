"""Paper scores through the real paths, with the evaluator installed by the setup engine from the
stand-ins and its interpreter replaced by a stand-in that records its argv and prints what the evaluator
prints (one JSON object): a run computes them after its jobs and stores them everywhere under the keys
lse_c ... lmd; a failing evaluator leaves every key absent with the reason; `thtui score --paper`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from setuplab import SetupLab
from test_evaluator_setup import NO_GPU, _standin_manifest

from thtui.core.catalog import Catalog
from thtui.core.config import repo_root
from thtui.core.events import Collector
from thtui.core.jobs import RunSpec, start_run
from thtui.core.jobs.records import read_results
from thtui.core.monitor import FakeGpuBackend, Monitor
from thtui.core.scores.paper_pipeline import PaperScored, paper_queue
from thtui.core.scores.paper_run import PAPER_KEYS
from thtui.core.scores.paper_store import paper_run_scores
from thtui.core.scores.paper_target import evaluator_env, evaluator_target
from thtui.core.setup import install
from thtui.core.store import Store

ASSETS = repo_root() / "assets"
FAKE = """#!{python}
import json, os, sys
with open(os.environ["FAKE_EVAL_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
if os.environ.get("FAKE_EVAL_MODE") == "sleep":
    import time
    time.sleep(120)
if os.environ.get("FAKE_EVAL_MODE") == "unusable":
    print(json.dumps({{"error": "/v.mp4: no video stream"}}))
    sys.exit(2)
if os.environ.get("FAKE_EVAL_MODE") == "error":
    print(json.dumps({{"error": "weight missing: /w/syncnet_v2.model (run `thtui setup evaluator`)"}}))
    sys.exit(3)
ref = "--reference" in sys.argv
print(json.dumps({{"lse_c": 7.25, "lse_d": 6.5, "av_offset": 0, "csim": 0.81, "fid": None, "fvd": None,
                  "lpips": None, "psnr": 30.5 if ref else None, "ssim": 0.9 if ref else None, "lmd": None,
                  "missing": {{"lmd": "needs facial landmarks", "fid": "not carried"}}, "device": "cpu",
                  "weights": "released", "sync_curve": [9.0] * 31}}))
"""


@pytest.fixture
def fake_evaluator(lab: SetupLab, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The evaluator installed (stand-in manifest); its python swapped for the recording stand-in."""
    _standin_manifest(lab)
    assert install(lab.settings, evaluator_target(lab.settings), gpu=NO_GPU).ok
    python = evaluator_env(lab.settings).python
    python.unlink()
    python.write_text(FAKE.format(python=sys.executable))
    python.chmod(0o755)
    log = lab.tmp / "evaluator-argv.jsonl"
    monkeypatch.setenv("FAKE_EVAL_LOG", str(log))
    monkeypatch.delenv("THTUI_NO_SCORE", raising=False)
    return log


def _calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _run_static(lab: SetupLab) -> tuple:
    events = Collector()
    monitor = Monitor(FakeGpuBackend([]), rate_hz=4.0)
    spec = RunSpec(solutions=("static",), images=(ASSETS / "portrait.jpg",), audios=(ASSETS / "speech.wav",))
    try:
        result = start_run(lab.settings, Catalog.load(repo_root() / "solutions"), spec, events, monitor=monitor,
                           fingerprint=False)  # fmt: skip
    finally:
        monitor.close()
    return result, events


def test_a_run_computes_paper_scores_after_its_jobs(lab: SetupLab, fake_evaluator: Path) -> None:
    result, events = _run_static(lab)
    assert result.status == "done"
    job = result.jobs[0].job
    paper = events.of(PaperScored)
    assert [(e.job_id, e.status) for e in paper] == [(job.job_id, "ok")]
    order = [type(e).__name__ for e in events.events]
    assert order.index("PaperScored") > max(i for i, n in enumerate(order) if n == "JobFinished")
    (argv,) = _calls(fake_evaluator)
    assert argv[argv.index("--video") + 1] == str(Path(job.job_dir) / "result.mp4")
    assert Path(argv[argv.index("--portrait") + 1]).parent.name == "inputs"
    assert argv[argv.index("--weights") + 1] == str(evaluator_env(lab.settings).weights)
    store = Store(lab.settings.db_path)
    try:
        row = paper_run_scores(store, result.run_id)[job.job_id]
    finally:
        store.close()
    assert row["status"] == "ok" and set(PAPER_KEYS) <= set(row)
    assert (row["lse_c"], row["lse_d"], row["av_offset"], row["csim"]) == (7.25, 6.5, 0, 0.81)
    assert row["fid"] is None and row["missing"]["fid"] == "not carried"
    assert row["directions"]["lse_d"] == "↓" and "SyncNet" in row["methods"]["lse_c"]
    assert row["evaluator"]["device"] == "cpu"
    on_disk = json.loads((Path(job.job_dir) / "paper_scores.json").read_text())
    assert on_disk["lse_c"] == 7.25
    metrics = json.loads((Path(job.job_dir) / "metrics.json").read_text())
    assert metrics["paper_scores"]["values"]["lse_d"] == 6.5 and "scores" in metrics  # beside the offline
    assert read_results(Path(result.run_dir))[job.job_id]["paper_scores"]["values"]["csim"] == 0.81
    again = lab.thtui("score", "--paper", "latest", "--json")  # on demand, for a finished run
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)[job.job_id]["values"]["lse_c"] == 7.25
    assert "LSE-C 7.250" in again.stderr and len(_calls(fake_evaluator)) == 2


def test_a_failing_evaluator_leaves_every_key_absent_with_why(
    lab: SetupLab, fake_evaluator: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_EVAL_MODE", "error")
    result, events = _run_static(lab)
    assert result.status == "done"  # the run itself is fine
    (scored,) = events.of(PaperScored)
    assert scored.status == "missing" and "thtui setup evaluator" in (scored.reason or "")
    data = json.loads((Path(result.jobs[0].job.job_dir) / "paper_scores.json").read_text())
    assert all(data[k] is None for k in PAPER_KEYS)
    assert all("weight missing" in data["missing"][k] for k in PAPER_KEYS)


def test_no_automatic_pass_when_off_or_not_installed(lab: SetupLab, monkeypatch: pytest.MonkeyPatch) -> None:
    _standin_manifest(lab)
    assert paper_queue(lab.settings) is None  # not installed
    assert install(lab.settings, evaluator_target(lab.settings), gpu=NO_GPU).ok
    assert paper_queue(lab.settings) is not None
    monkeypatch.setenv("THTUI_NO_PAPER", "1")
    assert paper_queue(lab.settings) is None


def test_cli_score_paper_on_any_video(
    lab: SetupLab, fake_evaluator: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = ASSETS.parent / "assets" / "portrait.jpg"  # any existing file: the stand-in does not decode
    out = lab.thtui("score", "--paper", "--video", str(video), "--image", str(ASSETS / "portrait.jpg"),
                    "--reference", str(video), "--json")  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert data["status"] == "ok" and data["lse_c"] == 7.25 and data["psnr"] == 30.5
    assert "dlib" in data["missing"]["lmd"] or "landmarks" in data["missing"]["lmd"]
    (argv,) = _calls(fake_evaluator)
    assert argv[argv.index("--reference") + 1] == str(video)
    table = lab.thtui("score", "--paper", "--video", str(video))
    assert table.returncode == 0 and "lse_c" in table.stdout and "7.250" in table.stdout
    missing = lab.thtui("score", "--paper", "--video", str(tmp_path / "nope.mp4"))
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    monkeypatch.setenv("FAKE_EVAL_MODE", "unusable")  # the evaluator's exit 2: an input it cannot use
    bad = lab.thtui("score", "--paper", "--video", str(video))
    assert bad.returncode == 2 and "no video stream" in bad.stderr and "Traceback" not in bad.stderr


def test_a_stopped_run_stops_the_evaluator(
    lab: SetupLab, fake_evaluator: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    from thtui.core.scores.paper_pipeline import PaperInput, score_paper

    monkeypatch.setenv("FAKE_EVAL_MODE", "sleep")
    cancel = threading.Event()
    threading.Timer(0.5, cancel.set).start()
    t0 = time.monotonic()
    item = PaperInput("j", "r", str(lab.tmp), str(ASSETS / "portrait.jpg"), None, None)
    status, data, reason = score_paper(evaluator_env(lab.settings), item, device="cpu", cancel=cancel)
    assert time.monotonic() - t0 < 10  # killed, not waited for (it sleeps 120 s)
    assert status == "missing" and "stopped with the run" in (reason or "")
    assert data["lse_c"] is None and "stopped with the run" in data["missing"]["lse_c"]
