"""The CLI side of run scoring, in-process through thtui.cli.main: `thtui run --no-score` scores nothing,
`thtui run` prints the scores table under its result and --json carries them, and the RUN form of
`thtui score` (thtui.cli.score_run) rescores a finished run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thtui.cli import main
from thtui.cli.score_run import score_run_command
from thtui.core.config import Settings, repo_root

ASSETS = repo_root() / "assets"
RUN = ["run", "static", "--image", str(ASSETS / "portrait.jpg"), "--audio", str(ASSETS / "speech.wav")]


def test_no_score_flag_and_rescoring_the_run(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("THTUI_NO_SCORE")  # on, as for a user; --no-score must turn it off
    assert main([*RUN, "--no-score", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    job_dir = Path(data["jobs"][0]["job"]["job_dir"])
    assert data["scores"] == {} and not (job_dir / "scores.json").exists()

    # thtui score latest: the run's successful job scored now, stored beside it, shown as a table
    assert main(["score", "latest"]) == 0
    out, err = capsys.readouterr()
    assert "scored   " in err and "static" in out and "sync r" in out
    scores = json.loads((job_dir / "scores.json").read_text())
    assert scores["face_found"] == 1.0 and scores["head_frozen"] is True
    assert scores["lipsync_corr"] is None and "never moves" in scores["missing"]["lipsync_corr"]


def test_run_prints_scores_and_json_carries_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("THTUI_NO_SCORE")
    assert main(["run", "jawflap", "--image", str(ASSETS / "portrait.jpg"), "--audio", str(ASSETS / "speech.wav"),
                 "--json"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    (job_id, scored), *_ = data["scores"].items()
    assert job_id.endswith("/jawflap") and scored["status"] == "ok"
    assert scored["values"]["lipsync_offset_frames"] == 0 and scored["values"]["lipsync_corr"] > 0.7


def test_score_of_an_unknown_run_or_of_nothing_is_one_line(settings: Settings, capsys) -> None:
    from thtui.cli.common import CliError

    with pytest.raises(CliError, match="no run 'nope'"):
        score_run_command(settings, "nope", False)
    assert main(["score", "nope"]) == 2
    assert main(["score"]) == 2
    err = capsys.readouterr().err
    assert "no run 'nope'" in err and "thtui score latest" in err and "Traceback" not in err


def test_the_scored_line_at_80_columns_says_why_and_breaks_between_items(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The real CLI in a subprocess at COLUMNS=80: the static baseline's lip-sync is absent (its mouth never
    moves) and the line says so in a few words; no line is cut inside an item such as 'identity 0.201,'."""
    import os
    import re
    import subprocess
    import sys

    assert main([*RUN, "--no-score", "--json"]) == 0
    capsys.readouterr()
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    env.pop("THTUI_NO_SCORE", None)
    proc = subprocess.run([sys.executable, "-m", "thtui", "score", "latest"],
                          capture_output=True, text=True, env=env, timeout=240)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith("scored   "))
    summary = lines[start : start + 2]
    assert all(len(x) <= 80 for x in summary)
    text = " ".join(x.strip() for x in summary)
    assert "lip-sync — (mouth never moves)," in text
    assert re.search(r"identity \d\.\d{3}, face 1\.00$", text)
    # every physical line holds whole items: each continuation starts with an item's name
    assert summary[1].startswith("         ") and summary[1].strip().split()[0] in ("identity", "face")
