"""`thtui run` / `thtui runs` end to end, in-process, on this machine (no GPU): the static baseline."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from rich.console import Console
from runlab import Lab, marked

from thtui.cli import EXIT_BROKEN_PIPE, main
from thtui.cli.run_views import LiveState, result_table
from thtui.core.config import repo_root
from thtui.core.jobs import JobFinished, start_run
from thtui.core.media import validate_video

PORTRAIT = repo_root() / "assets" / "portrait.jpg"


def _json_out(capsys: pytest.CaptureFixture) -> object:
    return json.loads(capsys.readouterr().out)


def test_static_from_text_through_piper(lab: Lab, capsys: pytest.CaptureFixture) -> None:
    """Issue #6: text -> Piper -> static video, through the same runner as every system."""
    rc = main(
        ["run", "static", "--image", str(PORTRAIT), "--text", "Hello there", "--tts", "piper", "--json"]
    )
    data = _json_out(capsys)
    assert rc == 0 and data["status"] == "done"
    (job,) = data["jobs"]
    assert job["status"] == "ok" and job["metrics"]["failure_class"] is None
    assert data["tts"]["backend"] == "piper" and data["tts"]["duration_s"] > 0.3
    assert job["metrics"]["audio_s"] == pytest.approx(data["tts"]["duration_s"], abs=0.05)
    assert validate_video(job["result_path"], job["metrics"]["audio_s"], 0.5).ok
    run_dir = Path(data["run_dir"])
    assert {p.name for p in (run_dir / "static").iterdir()} >= {
        "result.mp4",
        "log.txt",
        "metrics.json",
        "samples.csv",
    }
    assert json.loads((run_dir / "run.json").read_text())["inputs"]["text"] == "Hello there"

    assert main(["runs", "--json"]) == 0
    runs = _json_out(capsys)
    assert runs[0]["id"] == data["run_id"] and runs[0]["counts"] == {"ok": 1}


def test_plain_output_and_failed_exit_code(lab: Lab, capsys: pytest.CaptureFixture) -> None:
    rc = main(["run", "static", "--image", str(PORTRAIT), "--audio", str(lab.audio), "--repeat", "2"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "started" in out and "finished" in out and "wall" in out and "±" in out  # repeat statistics
    assert "results.jsonl" in out


def test_refusals_are_one_clear_line(
    lab: Lab, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The stand-in needs a GPU; this machine has none visible to NVML.
    rc = main(["run", "standin", "--image", str(PORTRAIT), "--audio", str(lab.audio)])
    err = capsys.readouterr().err
    assert rc == 2 and "standin needs an NVIDIA GPU" in err
    rc = main(["run", "--solutions", "static,nosuch", "--image", str(PORTRAIT), "--audio", str(lab.audio)])
    assert rc == 2 and "unknown solution 'nosuch'" in capsys.readouterr().err
    monkeypatch.delenv("THTUI_SOLUTIONS")  # the real catalog: nothing upstream is installed here
    rc = main(["run", "--solutions", "static,sadtalker", "--image", str(PORTRAIT), "--audio", str(lab.audio)])
    assert rc == 2 and "sadtalker is not ready: not installed" in capsys.readouterr().err
    rc = main(["run", "static", "--image", str(PORTRAIT)])
    assert rc == 2 and "either --audio" in capsys.readouterr().err
    assert not list(lab.settings.outputs_dir.glob("2*"))  # nothing ran, nothing was written


def test_dry_run_shows_jobs_and_commands(lab: Lab, capsys: pytest.CaptureFixture) -> None:
    rc = main(["run", "static", "--image", str(PORTRAIT), "--audio", str(lab.audio), "--repeat", "2", "--warmup",
               "--dry-run"])  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0 and "3 jobs; nothing has been run" in out
    assert "<run-id>/static/warmup" in out and "<run-id>/static/r2" in out and "thtui.builtins.static" in out
    assert not list(lab.settings.outputs_dir.glob("2*"))


def test_resume_from_the_command_line(lab: Lab, capsys: pytest.CaptureFixture) -> None:
    cancel = threading.Event()

    def sink(e) -> None:
        if isinstance(e, JobFinished):
            cancel.set()

    first = start_run(lab.settings, lab.catalog, lab.spec("static", repeat=2), sink, cancel, monitor=lab.monitor,
                      store=lab.store(), fingerprint=False)  # fmt: skip
    assert first.status == "interrupted"
    rc = main(["run", "--resume", first.run_id, "--json"])
    data = _json_out(capsys)
    assert rc == 0 and data["status"] == "done" and len(data["skipped"]) == 1, data
    assert [j["status"] for j in data["jobs"]] == ["ok", "ok"]


def test_a_reader_that_leaves_stops_the_run_cleanly(lab: Lab) -> None:
    """`thtui run ... | head -1` after head has gone: the jobs are stopped (not orphaned), the run is
    recorded as interrupted and resumable, and the process ends quietly with 141 like a SIGPIPE'd tool."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "thtui", "run", "static", "--image", str(PORTRAIT), "--audio", str(lab.audio),
         "--repeat", "2"],
        cwd=repo_root(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == EXIT_BROKEN_PIPE and "Traceback" not in err, err
    (run_dir,) = lab.settings.outputs_dir.glob("2*")
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
    assert marked(run_dir.name) == []


def _render(renderable, width: int = 80) -> str:
    out = Console(width=width, file=io.StringIO(), highlight=False, color_system=None)
    out.print(renderable)
    return out.file.getvalue()


def test_ids_stay_whole_at_80_columns(lab: Lab, capsys: pytest.CaptureFixture, monkeypatch) -> None:
    """Run and job ids are what report/compare/rate/--resume take: an 80-column terminal must show them
    in full (the review saw `20261124-15…` and `stati…`)."""
    result, _ = lab.run(lab.spec("static", repeat=3, warmup=True))
    text = _render(result_table(result))
    for rel in ("static/warmup", "static/r1", "static/r2", "static/r3"):
        assert f" {rel} " in text, text
    assert "…" not in text and all(len(line) <= 80 for line in text.splitlines())
    assert "wall" in text and "RTF" in text and "peak RSS" in text, "no column dropped at 80"

    elsewhere = lab.tmp / "old outputs" / "20200101-000000-0ld1"
    store = lab.store()
    try:
        store.create_run(elsewhere.name, {"solutions": ["static", "sadtalker", "wav2lip"]}, elsewhere, [])
    finally:
        store.close()
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert f" {result.run_id} " in out and f" {elsewhere.name} " in out and "…" not in out, out
    assert "2 runs, newest first" in out
    assert f"each run's files: {lab.settings.outputs_dir}/<run id>/" in out
    assert f"  {elsewhere.name} is in {elsewhere}" in out
    table = out[: out.index("each run's files")]
    assert all(len(line) <= 80 for line in table.splitlines()), table


def test_live_view_keeps_job_ids_whole(lab: Lab) -> None:
    state = LiveState()
    result, events = lab.run(lab.spec("static", repeat=3))
    for e in events.events:
        state.on_event(e)
    text = _render(state.render())
    for rel in ("static/r1", "static/r2", "static/r3"):
        assert f"{rel} " in text, text


def test_resume_latest(lab: Lab, capsys: pytest.CaptureFixture) -> None:
    """`run --resume latest` like report/rate/compare take 'latest'."""
    assert main(["run", "--resume", "latest"]) == 2
    assert "no runs yet in" in capsys.readouterr().err
    cancel = threading.Event()
    first = start_run(lab.settings, lab.catalog, lab.spec("static", repeat=2),
                      lambda e: cancel.set() if isinstance(e, JobFinished) else None, cancel,
                      monitor=lab.monitor, store=lab.store(), fingerprint=False)  # fmt: skip
    assert first.status == "interrupted"
    assert main(["run", "--resume", "latest", "--json"]) == 0
    data = _json_out(capsys)
    assert data["run_id"] == first.run_id and data["status"] == "done" and len(data["skipped"]) == 1


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_says_so(lab: Lab, capsys: pytest.CaptureFixture, text: str) -> None:
    assert main(["run", "static", "--image", str(PORTRAIT), "--text", text]) == 2
    assert capsys.readouterr().err == "thtui: text is empty: give the words to speak\n"
    assert not list(lab.settings.outputs_dir.glob("2*"))


def test_counts_and_paths_read_once_and_in_english(
    lab: Lab, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    argv = ["run", "static", "--image", str(PORTRAIT), "--audio", str(lab.audio)]
    assert main([*argv, "--dry-run"]) == 0
    assert "1 job; nothing has been run (all checks passed)" in capsys.readouterr().out
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert re.search(r"^run \S+: 1 job -> ", out, re.M), out
    assert main(["runs"]) == 0
    assert "1 run, newest first" in capsys.readouterr().out

    fake = tmp_path / "bad" / "fake.png"
    fake.parent.mkdir()
    fake.write_text("this is not a picture\n")
    assert main(["run", "static", "--image", str(fake), "--audio", str(lab.audio)]) == 2
    err = capsys.readouterr().err
    assert err == f"thtui: cannot start the run:\n  not an image: {fake} (it contains text, not image data)\n"
    assert err.count(str(fake)) == 1
