"""`thtui report --diff RUN_A RUN_B`: environment changes (packages, commits, GPU/driver, manifests) and
metric deltas per solution, from the fingerprints recorded in run.json."""

from __future__ import annotations

import copy
import json

import pytest
from report_factory import JobSpec, make_run

from thtui.cli import main
from thtui.core.config import Settings
from thtui.core.report import diff_runs, render_diff

FP = {
    "schema": 1,
    "thtui": {"version": "0.1.0", "commit": "a" * 40, "dirty": False},
    "os": {"platform": "Linux-6.8", "python": "3.11.7", "libc": "glibc 2.35"},
    "gpu": {"driver": "550.54.15", "cuda_driver": "12.4", "gpus": [{"name": "NVIDIA H100", "sm": "sm_90"}]},
    "ffmpeg": {"version": "6.1"},
    "host_packages": {"numpy": "1.26.4"},
    "solutions": {
        "alpha": {
            "manifest_digest": "1111111111111111",
            "upstream": {"repo": "https://x/alpha.git", "pinned_commit": "b" * 40, "head_commit": "b" * 40},
            "patches": [{"id": "np-float"}],
            "env": {
                "python": "3.10.14",
                "torch": "2.1.2+cu121",
                "torch_cuda": "12.1",
                "packages": {"torch": "2.1.2+cu121", "numpy": "1.26.4"},
            },  # fmt: skip
        }
    },
}


@pytest.fixture
def two_runs(settings: Settings) -> tuple[str, str]:
    fp_b = copy.deepcopy(FP)
    fp_b["gpu"]["driver"] = "560.28.03"
    alpha = fp_b["solutions"]["alpha"]
    alpha["upstream"]["head_commit"] = "c" * 40
    alpha["env"]["torch"] = alpha["env"]["packages"]["torch"] = "2.4.1+cu124"
    alpha["env"]["packages"]["opencv-python"] = "4.10.0.84"
    alpha["manifest_digest"] = "2222222222222222"
    make_run(
        settings, "20260201-100000-aaaa", [JobSpec("alpha", 0.4, wall_s=8.0, vram_mb=4096)], fingerprint=FP
    )
    make_run(settings, "20260202-100000-bbbb",
             [JobSpec("alpha", 0.4, wall_s=6.0, vram_mb=3072), JobSpec("beta", 0.4)], fingerprint=fp_b)  # fmt: skip
    return "20260201-100000-aaaa", "20260202-100000-bbbb"


def test_diff_lists_environment_changes_and_metric_deltas(settings: Settings, two_runs) -> None:
    a, b = two_runs
    d = diff_runs(settings, a, b)
    changes = {(c.section, c.item): (c.before, c.after) for c in d.changes}
    assert changes[("machine", "NVIDIA driver")] == ("550.54.15", "560.28.03")
    assert changes[("solution alpha", "upstream head commit")] == ("b" * 40, "c" * 40)
    assert changes[("solution alpha", "env torch")] == ("2.1.2+cu121", "2.4.1+cu124")
    assert changes[("packages alpha", "opencv-python")] == (None, "4.10.0.84")
    assert changes[("solution alpha", "manifest digest")] == ("1111111111111111", "2222222222222222")
    assert ("machine", "ffmpeg") not in changes, "unchanged facts are not listed"
    assert d.only_in_a == [] and d.only_in_b == ["beta"] and d.notes == []

    deltas = {(m.solution, m.key): m for m in d.metrics}
    wall = deltas[("alpha", "wall_s")]
    assert (wall.a, wall.b, wall.delta, wall.pct) == (8.0, 6.0, -2.0, -25.0)
    assert deltas[("alpha", "peak_vram_gb")].delta == -1.0
    assert deltas[("alpha", "success_rate")].delta == 0.0

    md = render_diff(d, "md")
    assert "| machine | NVIDIA driver | 550.54.15 | 560.28.03 |" in md
    assert "| alpha | Time (s) | 8.0 | 6.0 | -2 | -25.0% |" in md
    data = json.loads(render_diff(d, "json"))
    assert data["run_a"] == a and any(m["key"] == "wall_s" and m["delta"] == -2.0 for m in data["metrics"])


def test_diff_without_recorded_fingerprint_says_so(settings: Settings, two_runs) -> None:
    a, _ = two_runs
    make_run(settings, "20260203-100000-cccc", [JobSpec("alpha", 0.4)])  # no fingerprint in run.json
    d = diff_runs(settings, a, "20260203-100000-cccc")
    assert any("recorded no fingerprint" in n for n in d.notes)
    assert d.changes, "a fingerprint captured now differs from the recorded one"


def test_diff_cli(settings: Settings, two_runs, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = two_runs
    assert main(["report", "--diff", a, b]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"# Run diff: `{a}` → `{b}`") and "opencv-python" in out
    assert main(["report", "--diff", a, b, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["only_in_b"] == ["beta"]
    assert main(["report", "--diff", a, b, "--format", "html"]) == 2
    assert main(["report", a, "--diff", a, b]) == 2


def test_same_inputs_are_listed_and_raise_no_warning(settings: Settings, two_runs) -> None:
    d = diff_runs(settings, *two_runs)
    rows = {r.item: r for r in d.inputs}
    assert not d.inputs_differ and not any(r.differs for r in d.inputs)
    # each run has its own copy of the inputs (another path, the same bytes): the same input
    assert rows["images"].a == rows["images"].b and rows["images"].a.startswith("portrait.png (sha256 ")
    assert rows["audio length"].a == rows["audio length"].b == "2.00 s"
    md = render_diff(d, "md")
    assert "Warning" not in md and "n/c" not in md and "| audio length | 2.00 s | 2.00 s |  |" in md


def test_different_inputs_are_flagged_and_totals_not_compared(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The review's case: 2.38 s of audio, then 0.70 s; 'Time -59.7%' was reported as a speed-up."""
    a, b = "20260301-100000-aaaa", "20260302-100000-bbbb"
    make_run(settings, a, [JobSpec("alpha", 2.38, wall_s=8.0)], audio_s=2.38, fingerprint=FP)
    make_run(settings, b, [JobSpec("alpha", 0.70, wall_s=3.22)], audio_s=0.70, fingerprint=FP)
    d = diff_runs(settings, a, b)
    assert d.inputs_differ
    rows = {r.item: r for r in d.inputs}
    assert (rows["audio length"].a, rows["audio length"].b, rows["audio length"].differs) == (
        "2.38 s",
        "0.70 s",
        True,
    )
    assert rows["audio files"].differs and not rows["images"].differs and not rows["repeat"].differs
    deltas = {m.key: m for m in d.metrics if m.solution == "alpha"}
    assert not deltas["wall_s"].comparable and deltas["wall_s"].delta is None and deltas["wall_s"].pct is None
    assert deltas["rtf"].comparable and deltas["rtf"].delta == pytest.approx(3.22 / 0.70 - 8.0 / 2.38)

    assert main(["report", "--diff", a, b]) == 0
    md = capsys.readouterr().out
    lines = md.splitlines()
    assert lines[0] == f"# Run diff: `{a}` → `{b}`"
    assert lines[2].startswith(
        "> **Warning: inputs differ: metrics are not comparable as a speed-up/regression** (audio files: "
    )
    assert "audio length: 2.38 s → 0.70 s" in lines[2] and "compare RTF" in lines[2]
    assert "| audio length | 2.38 s | 0.70 s | differs |" in md
    assert "| alpha | Time (s) | 8.0 | 3.2 | n/c | n/c |" in md and "-59.7%" not in md
    assert "n/c: not comparable, because the runs were given different inputs" in md
    assert main(["report", "--diff", a, b, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["inputs_differ"] is True
    wall = next(m for m in data["metrics"] if m["key"] == "wall_s")
    assert wall["comparable"] is False and wall["delta"] is None and (wall["a"], wall["b"]) == (8.0, 3.22)
