"""Pure helpers of the report: metric normalisation (units, aliases, derived RTF), links, grid layout,
label rendering."""

from __future__ import annotations

from pathlib import Path

import pytest

from thtui.core.report.compare import LABEL_BG, plan_layout, render_labels
from thtui.core.report.metrics import audio_seconds, fmt_value, method_notes, normalise
from thtui.core.report.model import link


def test_normalise_converts_units_and_derives_rtf() -> None:
    v = normalise(
        {"wall_s": 12.0, "audio_s": 4.0, "vram_peak_mb": 2048, "energy_j": 7200, "gpu_util_mean": 50}
    )
    assert v == {
        "wall_s": 12.0,
        "audio_s": 4.0,
        "rtf": 3.0,
        "peak_vram_gb": 2.0,
        "energy_wh": 2.0,
        "mean_gpu_util": 50,
    }
    assert normalise({"rtf": 0.5, "peak_vram_bytes": 3 * 1024**3})["peak_vram_gb"] == 3.0
    empty = normalise({"wall_s": None, "energy_j": "n/a", "audio_s": 0})
    assert all(x is None for k, x in empty.items() if k != "audio_s")
    assert fmt_value("wall_s", None) == "—" and fmt_value("energy_wh", 0.1) == "0.100"


def test_method_notes_and_audio_length() -> None:
    notes = method_notes([("a", {"vram_attribution": "process", "sample_rate_hz": 4}),
                          ("b", {"vram_attribution": "device-delta"})])  # fmt: skip
    assert notes[0] == "Peak VRAM attribution — process: a; device-delta: b"
    assert "4 Hz" in notes[-1]
    assert audio_seconds([{"audio_s": 2.0}, {"audio_s": 2.0}]) == "2.00 s"
    assert audio_seconds([{"audio_s": 2.0}, {"audio_s": 3.5}]) == "2.00–3.50 s"


def test_links_are_relative_beside_outputs_and_file_uris_elsewhere(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs"
    video = outputs / "run 1" / "alpha" / "result.mp4"
    assert link(video, outputs / "run 1" / "report.html", outputs) == "alpha/result.mp4"
    assert link(video, outputs / "report.html", outputs) == "run%201/alpha/result.mp4"
    assert link(video, outputs / "other-run" / "r.html", outputs) == "../run%201/alpha/result.mp4"
    elsewhere = link(video, tmp_path / "share" / "report.html", outputs)
    assert elsewhere.startswith("file:///") and elsewhere.endswith("/run%201/alpha/result.mp4")
    assert link(video, None, outputs).startswith("file:///")


@pytest.mark.parametrize(
    ("n", "cols", "rows"), [(1, 1, 1), (2, 2, 1), (3, 3, 1), (4, 2, 2), (5, 3, 2), (7, 3, 3)]
)
def test_layout(n: int, cols: int, rows: int) -> None:
    lay = plan_layout(n, aspect=1.0, tile_h=200)
    assert (lay.cols, lay.rows) == (cols, rows)
    assert lay.width == cols * lay.tile_w and lay.height == rows * (lay.tile_h + lay.label_h)
    assert lay.width % 2 == 0 and lay.height % 2 == 0  # yuv420p needs even sizes
    wide = plan_layout(n, aspect=16 / 9, tile_h=200)
    assert wide.tile_w > wide.tile_h


def test_labels_fill_the_strip_with_readable_text() -> None:
    lay = plan_layout(2, aspect=1.0, tile_h=160)
    img = render_labels(lay, ["sadtalker", "a-very-long-solution-name-that-cannot-fit"]).convert("RGBA")
    for i in range(2):
        x0, y0, x1, y1 = lay.label_box(i)
        strip = img.crop((x0, y0, x1, y1))
        colors = strip.getcolors(maxcolors=100000) or []
        background = max(colors)[1]
        assert background == LABEL_BG
        assert any(sum(c[:3]) > 600 for _, c in colors), "white text pixels in the strip"
        vx0, vy0, vx1, vy1 = lay.video_box(i)
        assert img.crop((vx0, vy0, vx1, vy1)).getextrema()[3] == (0, 0), "video area stays transparent"
