"""The run-level FID and FVD (thtui/core/scores/paper_set.py): each system's saved feature files go to the
evaluator's `fid --features` in one call (a stand-in interpreter that records its argv and answers as the
evaluator does), the result lands in <run dir>/paper_set_scores.json, and the paper-style table's FID and
FVD cells take the pooled values over the mean of per-video ones. The real `fid --features` is tested with
torch in tests/integration/evaluator/test_perceptual_torch.py and test_fvd_torch.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace

from thtui.core.report.paper_table import Cell, _set_level
from thtui.core.scores.paper_set import (
    FEATURES,
    SET_JSON,
    compute_set_scores,
    load_set_scores,
    set_fid,
    set_fvd,
)

STANDIN = """#!{python}
import json, os, sys
argv = sys.argv[1:]
with open(os.environ.get("STANDIN_LOG", "/dev/null"), "a") as f:
    f.write(json.dumps(argv) + "\\n")
if "score" in argv:
    print(json.dumps({{"lse_c": None, "missing": {{}}}}))
    sys.exit(0)
files = argv[argv.index("--features") + 1:]
if any("broken" in f for f in files):
    print(json.dumps({{"error": "FID needs at least 2 frames in each set, got 1 and 1"}}))
    sys.exit(2)
n = len(files)
fvd = {{"fvd": 150.0 * n, "fvd_clips": 6 * n, "fvd_reference_clips": 6 * n}}
missing = {{}}
if any("nanfvd" in f for f in files):  # an evaluator that let a NaN through (JSON writes NaN)
    fvd = {{"fvd": float("nan"), "fvd_clips": 6, "fvd_reference_clips": 6}}
if any("nofvd" in f for f in files):  # features saved without the I3D
    fvd, missing = {{"fvd": None}}, {{"fvd": "FVD needs at least 2 16-frame clips in each set, got 0 and 0"}}
print(json.dumps({{"fid": 12.5 * n, "frames": 100 * n, "reference_frames": 100 * n, "cases": n, **fvd,
                  "missing": missing}}))
"""


def _env(tmp_path: Path, monkeypatch) -> SimpleNamespace:
    python = tmp_path / "python"
    python.write_text(STANDIN.format(python=sys.executable))
    python.chmod(0o755)
    monkeypatch.setenv("STANDIN_LOG", str(tmp_path / "argv.jsonl"))
    return SimpleNamespace(python=python)


def _job(run_dir: Path, name: str, features: bool = True) -> str:
    d = run_dir / name
    d.mkdir(parents=True)
    if features:
        (d / FEATURES).write_bytes(b"npz")
    return str(d)


def test_each_system_is_pooled_in_one_call_and_stored_for_the_table(tmp_path: Path, monkeypatch) -> None:
    env, run_dir = _env(tmp_path, monkeypatch), tmp_path / "run"
    groups = {
        "sadtalker": [
            _job(run_dir, "sadtalker/0"),
            _job(run_dir, "sadtalker/1"),
            _job(run_dir, "sadtalker/2", False),
        ],
        "static": [_job(run_dir, "static/0", False)],  # no features (no ground truth): not pooled
        "broken": [_job(run_dir, "broken/0")],
        "nofvd": [_job(run_dir, "nofvd/0")],
    }
    scores = compute_set_scores(env, run_dir, groups)
    out, fvd = scores["fid"], scores["fvd"]
    pooled_dirs = [str(run_dir / "sadtalker" / "0"), str(run_dir / "sadtalker" / "1")]
    assert out["sadtalker"] == {"fid": 25.0, "frames": 200, "reference_frames": 200, "cases": 2,
                                "job_dirs": pooled_dirs}  # fmt: skip
    assert fvd["sadtalker"] == {"fvd": 300.0, "fvd_clips": 12, "fvd_reference_clips": 12, "cases": 2,
                                "job_dirs": pooled_dirs}  # fmt: skip
    assert "static" not in out and "static" not in fvd
    assert out["broken"]["fid"] is None and "at least 2 frames" in out["broken"]["why"]
    assert fvd["broken"]["fvd"] is None and "at least 2 frames" in fvd["broken"]["why"]  # the run's error
    assert out["nofvd"]["fid"] == 12.5  # FID pooled, FVD absent with the evaluator's own reason
    assert fvd["nofvd"] == {"fvd": None, "why": "set-level FVD not computed: FVD needs at least 2 16-frame "
                            "clips in each set, got 0 and 0"}  # fmt: skip
    calls = [json.loads(line) for line in (tmp_path / "argv.jsonl").read_text().splitlines()]
    assert len(calls) == 3 and calls[0][3] == "fid"  # -c BOOT <pkg> fid --features ... (FID and FVD)
    assert [Path(f).parent.name for f in calls[0][calls[0].index("--features") + 1 :]] == ["0", "1"]
    stored = json.loads((run_dir / SET_JSON).read_text())
    assert stored["fid"]["sadtalker"]["fid"] == 25.0 and "pooled" in stored["method"]
    assert stored["fvd"]["sadtalker"]["fvd"] == 300.0 and "16-frame clips" in stored["fvd_method"]
    assert set_fid(run_dir, "sadtalker")["cases"] == 2 and set_fvd(run_dir, "sadtalker")["fvd_clips"] == 12
    assert set_fid(run_dir, "broken") is None and set_fid(run_dir, "static") is None
    assert set_fvd(run_dir, "nofvd") is None and set_fid(run_dir, "nofvd") is not None


def test_the_table_cell_takes_the_pooled_value_and_says_so(tmp_path: Path, monkeypatch) -> None:
    per_video = Cell(40.0, 3, 3)
    nothing = _set_level("fid", per_video, tmp_path, "sadtalker")  # nothing pooled: the mean, with why
    assert nothing == Cell(40.0, 3, 3, note="the mean of per-video values, not pooled: the run has no pooled "
                           "value (no saved features, or the run-level pass did not run)")  # fmt: skip
    (tmp_path / SET_JSON).write_text(
        json.dumps(
            {
                "fid": {"sadtalker": {"fid": 21.5, "frames": 750, "cases": 3}},
                "fvd": {
                    "sadtalker": {"fvd": 310.0, "fvd_clips": 45, "cases": 3},
                    "wav2lip": {"fvd": None, "why": "set-level FVD not computed: FVD needs at least 2 clips"},
                },
            }
        )
    )
    assert _set_level("fid", per_video, tmp_path, "sadtalker") == Cell(21.5, 3, 3, pooled="750 frames")
    assert _set_level("fvd", per_video, tmp_path, "sadtalker") == Cell(310.0, 3, 3, pooled="45 clips")
    assert _set_level("fvd", per_video, tmp_path, "wav2lip") == Cell(  # pooled FVD absent: its stored reason
        40.0, 3, 3, note="the mean of per-video values, not pooled: set-level FVD not computed: FVD needs at "
        "least 2 clips"
    )  # fmt: skip
    absent = Cell(None, 0, 3, "no reference")
    assert _set_level("fvd", absent, tmp_path, "wav2lip") is absent  # no mean: no note either
    assert load_set_scores(tmp_path / "missing") == {} and load_set_scores(None) == {}


def test_a_pooled_cell_counts_distinct_cases_not_jobs(tmp_path: Path, monkeypatch) -> None:
    """--repeat 3 over 2 cases: 6 jobs pooled, n = 2 cases (the evaluator's "cases" counts its 6 files)."""
    env, run_dir = _env(tmp_path, monkeypatch), tmp_path / "run"
    jobs = [SimpleNamespace(job_id=f"r/sadtalker/{k}", case_index=k // 3, ok=True,
                            job_dir=Path(_job(run_dir, f"sadtalker/{k}"))) for k in range(6)]  # fmt: skip
    scores = compute_set_scores(env, run_dir, {"sadtalker": [str(j.job_dir) for j in jobs]})
    assert scores["fvd"]["sadtalker"]["cases"] == 6  # what the evaluator says: its feature files
    per_video = Cell(500.0, 2, 2)
    assert _set_level("fvd", per_video, run_dir, "sadtalker", jobs) == Cell(900.0, 2, 2, pooled="36 clips")
    assert _set_level("fid", per_video, run_dir, "sadtalker", jobs).n == 2
    stored = json.loads((run_dir / SET_JSON).read_text())  # a file from before job_dirs were stored
    del stored["fvd"]["sadtalker"]["job_dirs"]
    (run_dir / SET_JSON).write_text(json.dumps(stored))
    assert _set_level("fvd", per_video, run_dir, "sadtalker", jobs).n == 2  # from the jobs' feature files


def test_a_job_with_a_ground_truth_saves_its_features_for_the_pool(tmp_path: Path, monkeypatch) -> None:
    """score_paper asks the evaluator for `--features-out <job dir>/fid_features.npz` only with a reference."""
    from thtui.core.scores.paper_pipeline import PaperInput, score_paper

    env = _env(tmp_path, monkeypatch)
    env.weights = tmp_path / "weights"
    job = _job(tmp_path / "run", "sadtalker/0", features=False)
    for job_dir, reference in ((job, "/refs/gt.mp4"), (job, None), ("", "/refs/gt.mp4")):
        item = PaperInput("r/sadtalker/0", "r", job_dir, "/v.mp4", None, None, reference)
        score_paper(env, item, device="cpu")
    calls = [json.loads(line) for line in (tmp_path / "argv.jsonl").read_text().splitlines()]
    with_ref, without, ad_hoc = calls
    assert with_ref[with_ref.index("--features-out") + 1] == str(Path(job) / FEATURES)
    assert "--features-out" not in without
    # `thtui score --paper --video` has no job dir: nothing is saved in the current directory
    assert "--features-out" not in ad_hoc


def test_a_nan_pooled_value_never_reaches_the_table(tmp_path: Path, monkeypatch) -> None:
    env, run_dir = _env(tmp_path, monkeypatch), tmp_path / "run"
    scores = compute_set_scores(env, run_dir, {"nanfvd": [_job(run_dir, "nanfvd/0")]})
    assert scores["fvd"]["nanfvd"] == {"fvd": None, "why": "set-level FVD not computed: not a finite number"}
    assert scores["fid"]["nanfvd"]["fid"] == 12.5
    assert set_fvd(run_dir, "nanfvd") is None
    (tmp_path / SET_JSON).write_text('{"fvd": {"sadtalker": {"fvd": NaN, "fvd_clips": 4, "cases": 2}}}')
    assert set_fvd(tmp_path, "sadtalker") is None  # a file written before the check: still no NaN cell
    per_video = Cell(40.0, 3, 3)
    assert _set_level("fvd", per_video, tmp_path, "sadtalker").mean == 40.0
