"""The side-by-side grid video: streams, size, duration, labels burned in above each tile, shorter videos
held on their last frame, the source portrait tile, and the `thtui compare` CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from report_factory import assert_labelled, frame_at, streams

from thtui.cli import main
from thtui.core.config import Settings
from thtui.core.events import Collector
from thtui.core.report import CompareError, compose_grid
from thtui.core.report._probe import probe_video
from thtui.core.report.compare import GridFinished, GridProgress, GridStarted


def test_grid_of_a_run(settings: Settings, two_solution_run: str, tmp_path: Path) -> None:
    out = tmp_path / "grid.mp4"
    events = Collector()
    result = compose_grid(settings, two_solution_run, None, out, sink=events, tile_h=160)

    # gamma failed: by default only finished videos, in the run's order
    assert result.labels == ["alpha", "beta"] and result.skipped == []
    lay = result.layout
    assert (lay.cols, lay.rows) == (2, 1)
    info = probe_video(out)
    assert (info.width, info.height) == (lay.width, lay.height) == (320, 160 + lay.label_h)
    assert info.has_audio
    text = streams(out)
    assert "Video: h264" in text and "Audio: aac" in text
    assert abs(info.duration - 2.0) < 0.15, "as long as the longest video (alpha, 2.0 s)"
    assert result.audio_from and result.audio_from.endswith("speech.wav"), "the run's common input audio"

    # Late frame: beta (1.2 s) is held on its last frame, not black.
    frame = frame_at(out, 1.8, lay.width, lay.height)
    assert_labelled(frame, result)
    bx0, by0, bx1, by1 = lay.video_box(1)
    assert frame[by0:by1, bx0:bx1].mean() > 40, "shorter video must hold its last frame"

    assert events.of(GridStarted)[0].labels == ("alpha", "beta")
    assert events.of(GridProgress) and events.of(GridFinished)[0].out == str(out)


def test_chosen_jobs_with_source_tile(settings: Settings, two_solution_run: str, tmp_path: Path) -> None:
    out = tmp_path / "pick.mp4"
    run = two_solution_run
    result = compose_grid(settings, run, ["beta", f"{run}/gamma"], out, include_source=True, tile_h=120)
    assert result.labels == ["source", "beta"]
    assert result.skipped == ["gamma (failed): no video"]
    lay = result.layout
    frame = frame_at(out, 0.5, lay.width, lay.height)
    assert_labelled(frame, result)
    sx0, sy0, sx1, sy1 = lay.video_box(0)
    portrait = frame[sy0:sy1, sx0:sx1].reshape(-1, 3).mean(axis=0)
    assert np.abs(portrait - np.array([0xC0, 0x80, 0x40])).max() < 20, "source tile shows the portrait"

    with pytest.raises(CompareError, match="no job or finished solution nosuch"):
        compose_grid(settings, run, ["nosuch"], tmp_path / "x.mp4")


def test_compare_cli(settings: Settings, two_solution_run: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "latest", "--tile-height", "96"]) == 0
    out = settings.outputs_dir / two_solution_run / "compare.mp4"
    assert out.is_file() and "2 tiles: alpha, beta" in capsys.readouterr().out
    assert probe_video(out).height == 96 + 24
    assert main(["compare", "no-such-run"]) == 2
    assert "no run 'no-such-run'" in capsys.readouterr().err
    one = settings.outputs_dir / "one.mp4"
    assert main(["compare", "latest", "--jobs", "alpha", "--tile-height", "96", "-o", str(one)]) == 0
    assert "1 tile: alpha)" in capsys.readouterr().out  # not "1 tiles"
