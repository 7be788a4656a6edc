"""The Results screen's one-line 'what' of a run names what it ran on, whatever the run's inputs were."""

from __future__ import annotations

from thtui.core.store import RunRecord
from thtui.tui.screens.results import run_summary


def _run(spec: dict) -> RunRecord:
    return RunRecord("r", 0.0, 0.0, None, "done", "/o/r", spec, {"ok": 1})


def test_a_reference_run_counts_its_references_not_zero_images() -> None:
    spec = {
        "solutions": ["static", "jawflap"],
        "images": [],
        "audios": [],
        "references": ["/a.mp4", "/b.mp4"],
    }
    assert run_summary(_run(spec)) == "static, jawflap · 2 reference"


def test_video_and_text_runs_say_so() -> None:
    spec = {
        "solutions": ["musetalk"],
        "images": ["/p.png"],
        "videos": ["/v.mp4"],
        "text": "hi",
        "tts": "piper",
    }
    assert run_summary(_run(spec)) == "musetalk · 1 image · 1 video · text via piper"
    assert run_summary(_run({"solutions": ["static"], "images": ["/p.png"], "audios": ["/s.wav"]})) == (
        "static · 1 image · 1 audio"
    )
