"""`thtui run --reference VIDEO|DIR` (the papers' protocol) end to end, through thtui.cli.main and the real
scheduler: two reference videos made here by the jawflap builtin from assets/portrait.jpg and two stretches of
assets/speech.wav; `static` and `jawflap` run on each; every result is scored against its own reference, and
the report's paper-style table shows the means beside the published ranges. Bad references are refused in
one line before any run folder exists."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest
from media_factory import PORTRAIT, SPEECH, make_video
from PIL import Image

from thtui.cli import main
from thtui.core import tools
from thtui.core.config import Settings

SIZE = 224
SECONDS = 2.0  # the lip-sync proxy needs 2 s; short keeps the run fast
# Both stretches start in a pause (a closed mouth in the first frame), so a jaw-flap of that frame can
# redraw its reference closely: 0 s (quiet onset) and 2.76 s (silence between two phrases).
STARTS = (0.0, 2.76)


def _ffmpeg(*args: str) -> None:
    subprocess.run([str(tools.ffmpeg().path), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def refs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from thtui.builtins.jawflap import make_video as jawflap_video

    d = tmp_path_factory.mktemp("references")
    portrait = d / "portrait.png"
    Image.open(PORTRAIT).convert("RGB").resize((SIZE, SIZE)).save(portrait)
    with wave.open(str(SPEECH), "rb") as wf:
        speech = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2")
    good = d / "good"
    good.mkdir()
    out: dict[str, Path] = {"dir": good}
    for k, start in enumerate(STARTS):
        wav = d / f"speech{k}.wav"
        with wave.open(str(wav), "wb") as wf:
            wf.setnchannels(1)
            wf.setsampwidth(2)
            wf.setframerate(16000)
            wf.writeframes(speech[int(start * 16000) : int((start + SECONDS) * 16000)].tobytes())
        video = good / f"clip{k}.mp4"
        code, _ = jawflap_video(portrait, wav, video, 25, str(tools.ffmpeg().path))
        assert code == 0
        out[f"clip{k}"] = video
    (good / "notes.txt").write_text("not a video: a folder's other files are left out\n")
    bad = d / "bad"
    bad.mkdir()
    out["no_audio"] = bad / "silent_film.mp4"
    _ffmpeg("-i", str(out["clip0"]), "-an", "-c:v", "copy", str(out["no_audio"]))
    out["silent"] = bad / "muted.mp4"
    _ffmpeg("-i", str(out["clip0"]), "-af", "volume=0", "-c:v", "copy", "-c:a", "aac", str(out["silent"]))
    out["no_face"] = make_video(bad / "test_pattern.mp4", 1.5)
    out["not_video"] = bad / "fake.mp4"
    out["not_video"].write_text("just text\n")
    out["picture"] = bad / "still.mp4"
    Image.open(portrait).save(out["picture"], format="PNG")
    out["empty"] = d / "empty"
    out["empty"].mkdir()
    return out


def test_the_portrait_is_the_first_frame_with_a_face_at_the_videos_own_size(
    refs: dict[str, Path], tmp_path: Path
) -> None:
    from thtui.core.reference_inputs import check_reference, derive_reference_inputs

    late = tmp_path / "late_face.mov"  # 0.4 s of black first, at 30 fps, in another container
    _ffmpeg("-i", str(refs["clip0"]), "-vf", "fps=30,drawbox=enable='lt(t,0.4)':color=black:t=fill",
            "-c:a", "aac", str(late))  # fmt: skip
    chk = check_reference(late)
    assert chk.fps == 30 and 11 <= chk.frame_index <= 13 and chk.frame_time_s == pytest.approx(0.4, abs=0.05)
    (record,) = derive_reference_inputs(tmp_path / "run", (late,))
    frame = np.asarray(Image.open(record["portrait"]))
    assert frame.shape == (SIZE, SIZE, 3) and frame.mean() > 40  # the face, not the black lead-in
    assert record["frame_index"] == chk.frame_index and Path(record["audio"]).stat().st_size > 0


@pytest.fixture
def scoring(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("THTUI_NO_SCORE")  # tests/conftest.py turns scoring off for every other test
    return settings


def _no_run_folder(settings: Settings) -> bool:
    """Nothing but the run database (which the core opens first) in the outputs folder."""
    return not settings.outputs_dir.exists() or not any(p.is_dir() for p in settings.outputs_dir.iterdir())


def _scores(job_dir: str | Path) -> dict:
    return json.loads((Path(job_dir) / "scores.json").read_text(encoding="utf-8"))


def test_reference_run_scores_each_result_against_its_reference_and_reports_a_paper_table(
    scoring: Settings, refs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--solutions", "static,jawflap", "--reference", str(refs["dir"]), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    run_dir = Path(result["run_dir"])
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))

    # run.json: the references (the folder's videos, sorted) and each case's derived portrait and speech
    clips = [str(refs["clip0"].resolve()), str(refs["clip1"].resolve())]
    assert run["spec"]["references"] == clips
    records = run["inputs"]["references"]
    assert [r["video"] for r in records] == clips
    for k, r in enumerate(records):
        assert Path(r["portrait"]).parent == run_dir / "_inputs" / f"{k}-clip{k}"
        assert Image.open(r["portrait"]).size == (SIZE, SIZE)  # the video's own resolution
        assert r["frame_index"] == 0 and r["width"] == SIZE and r["fps"] == 25
        with wave.open(r["audio"], "rb") as wf:  # the reference's own track, as WAV
            assert wf.getnchannels() == 1 and abs(wf.getnframes() / wf.getframerate() - SECONDS) < 0.1
    assert run["inputs"]["audio_provenance"].startswith("natural")

    # 2 solutions x 2 cases, paired (case k = portrait k + speech k), every result scored against its reference
    jobs = [j["job"] for j in result["jobs"]]
    assert len(jobs) == 4 and all(j["status"] == "ok" for j in result["jobs"])
    psnr: dict[tuple[str, int], float] = {}
    for j in jobs:
        k = j["case_index"]
        assert (j["image"], j["audio"]) == (records[k]["portrait"], records[k]["audio"])
        data = _scores(j["job_dir"])
        assert data["reference"] == clips[k]
        assert data["sampling"]["psnr/ssim"] == "all 50 frame pairs (25 fps)"  # 2 s at 25 fps
        psnr[(j["solution"], k)] = data["psnr"]
    for k in (
        0,
        1,
    ):  # the jaw-flap redraws its own reference closely; a still portrait misses every mouth move
        assert psnr[("jawflap", k)] > 35.0, psnr
        assert psnr[("static", k)] < psnr[("jawflap", k)] - 2.0, psnr

    # the report: paper-style table in Markdown (headless `thtui report RUN`) ...
    run_id = result["run_id"]
    assert main(["report", run_id, "--thumbs", "0"]) == 0
    md = capsys.readouterr().out
    table = md[md.index("## Paper-style table") : md.index("## Automatic scores")]
    assert (
        "| System | LSE-C ↑ | LSE-D ↓ | AV offset →0 | CSIM ↑ | FID ↓ | FVD ↓ | LPIPS ↓ | PSNR (dB) ↑"
        in table
    )
    jaw_line = next(line for line in table.splitlines() if line.startswith("| **jawflap (ours)**"))
    mean = (psnr[("jawflap", 0)] + psnr[("jawflap", 1)]) / 2
    assert f"{mean:.2f} (n=2)" in jaw_line and "| — |" in jaw_line  # LSE absent: no evaluator here
    assert "*Real video (published, HDTF)* | 8.094–8.211 | 6.976–6.982 |" in table
    assert "SadTalker T1 (secondary)" in table and "TTS bias" in table and "Different data" in table
    assert "jawflap: LSE-C, LSE-D, AV offset, CSIM, FID, FVD, LPIPS absent: not computed" in table
    assert "frame i against frame i from t = 0 over the shorter" in table

    # ... and JSON; the evaluator's values (its own store table) are read when it has scored a video
    from thtui.core.scores.paper_store import save_paper_scores
    from thtui.core.store import Store

    jaw0 = next(j for j in jobs if j["solution"] == "jawflap" and j["case_index"] == 0)
    evaluated = {"lse_c": 7.5, "lse_d": 7.25, "av_offset": 0, "csim": None, "psnr": None,
                 "missing": {"csim": "no face found in the portrait (S3FD)"}}  # fmt: skip
    store = Store(scoring.db_path)
    try:
        save_paper_scores(store, jaw0["job_id"], run_id, "ok", evaluated)
    finally:
        store.close()
    assert main(["report", run_id, "--thumbs", "0", "--format", "json"]) == 0
    paper = json.loads(capsys.readouterr().out)["paper_table"]
    systems = {s["solution"]: s for s in paper["systems"]}
    jaw = systems["jawflap"]["values"]
    assert jaw["lse_c"] == {"mean": 7.5, "n": 1, "cases": 2, "why": None, "pooled": None, "note": None}
    assert jaw["psnr"]["n"] == 2 and jaw["psnr"]["mean"] == pytest.approx(mean)  # the offline scorer's
    assert jaw["csim"] == {"mean": None, "n": 0, "cases": 2, "why": "no face found in the portrait (S3FD)",
                           "pooled": None, "note": None}  # fmt: skip
    assert systems["static"]["values"]["lse_c"]["mean"] is None
    assert "evaluator" in systems["static"]["values"]["lse_c"]["why"]
    assert paper["published_real_video"]["lse_d"]["lo"] == 6.976
    assert any("TTS bias" in c for c in paper["caveats"])

    # html and csv carry it too: the table, and per job its reference and the values the means are over
    assert main(["report", run_id, "--thumbs", "0", "-f", "html", "-o", str(run_dir / "r.html")]) == 0
    page = (run_dir / "r.html").read_text(encoding="utf-8")
    assert 'id="paper-table"' in page and "<b>jawflap (ours)</b>" in page and "LSE-C ↑" in page
    capsys.readouterr()  # "wrote ..."
    assert main(["report", run_id, "--thumbs", "0", "-f", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    row = next(r for r in rows if r["job_id"] == jaw0["job_id"])
    assert row["reference"] == clips[0] and float(row["paper_lse_c"]) == 7.5 and row["paper_csim"] == ""
    assert float(row["paper_psnr"]) == pytest.approx(psnr[("jawflap", 0)], abs=1e-4)


def test_the_run_output_points_at_the_paper_table(
    settings: Settings, refs: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "static", "--reference", str(refs["clip1"])]) == 0
    out = capsys.readouterr().out
    assert "paper-style table (each result against its reference video): thtui report " in out


def test_an_interrupted_reference_run_resumes_with_the_same_inputs(
    scoring: Settings, refs: dict[str, Path], catalog
) -> None:
    import threading

    from thtui.core.events import Collector
    from thtui.core.jobs import RunSpec, resume_run, start_run
    from thtui.core.jobs.events import JobFinished
    from thtui.core.monitor import FakeGpuBackend, Monitor

    cancel = threading.Event()
    events = Collector()

    def sink(e) -> None:
        events(e)
        if isinstance(e, JobFinished):  # stop after the first job
            cancel.set()

    spec = RunSpec(solutions=("static",), images=(), references=(refs["clip0"], refs["clip1"]))
    monitor = Monitor(FakeGpuBackend([]), rate_hz=4.0)
    try:
        first = start_run(scoring, catalog, spec, sink, cancel, monitor=monitor, fingerprint=False)
        assert first.status == "interrupted"
        portrait = Path(first.run_dir) / "_inputs" / "1-clip1" / "portrait.png"
        before = portrait.stat().st_mtime_ns
        second = resume_run(scoring, catalog, first.run_id, monitor=monitor)
    finally:
        monitor.close()
    assert second.status == "done" and len(second.skipped) == 1
    assert portrait.stat().st_mtime_ns == before  # derived once, found again on resume
    for j in second.jobs:
        data = _scores(j.job.job_dir)
        assert data["reference"] == str(refs[f"clip{j.job.case_index}"].resolve()) and data["psnr"] > 25


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("no_audio", "has no audio track"),
        ("silent", "has unusable audio: audio is silent"),
        ("no_face", "no face found in its first 5 s"),
        ("not_video", "is not a video ffmpeg can read"),
        ("picture", "is a still image"),
        ("empty", "holds no video (.avi, .m4v, .mkv, .mov, .mp4, .webm)"),
    ],
)
def test_a_bad_reference_is_refused_in_one_line_before_any_run_folder(
    settings: Settings, refs: dict[str, Path], capsys: pytest.CaptureFixture[str], name: str, says: str
) -> None:
    assert main(["run", "static", "--reference", str(refs[name])]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and str(refs[name]) in lines[0] and says in lines[0], err
    assert "Traceback" not in err
    assert _no_run_folder(settings)


def test_the_core_refuses_a_bad_reference_before_the_run_folder_too(
    settings: Settings, refs: dict[str, Path], catalog
) -> None:
    from thtui.core.jobs import RunError, RunSpec, start_run
    from thtui.core.monitor import FakeGpuBackend, Monitor

    spec = RunSpec(solutions=("static",), references=(refs["clip0"], refs["no_audio"]), images=())
    monitor = Monitor(FakeGpuBackend([]), rate_hz=4.0)
    try:
        with pytest.raises(RunError, match="silent_film.mp4 has no audio track"):
            start_run(settings, catalog, spec, monitor=monitor, fingerprint=False)
    finally:
        monitor.close()
    assert _no_run_folder(settings)


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        (["--image", str(PORTRAIT)], "--image"),
        (["--audio", str(SPEECH)], "--audio"),
        (["--text", "hello"], "--text"),
        (["--video", "x.mp4"], "--video"),
    ],
)
def test_reference_excludes_the_other_inputs(
    settings: Settings, refs: dict[str, Path], capsys: pytest.CaptureFixture[str], extra: list[str], flag: str
) -> None:
    assert main(["run", "static", "--reference", str(refs["clip0"]), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"thtui: --reference cannot be combined with {flag}") and "\n" not in err
