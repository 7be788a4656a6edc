"""End to end with the real runs engine: the stand-in solution and the static baseline run through
start_run (fake GPU), then the grid video, a rating and the HTML/JSON reports come from what it left.

Reuses the runs engine's own test lab (tests/integration/runs/runlab.py) so the run is made exactly as
its tests make one."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "runs"))
runlab = pytest.importorskip("runlab", reason="the runs engine's test lab is not in this checkout")
from report_factory import assert_labelled, check_links, frame_at  # noqa: E402
from runlab import _inputs_fallback, lab  # noqa: E402, F401  (pytest fixtures)

from thtui.core.jobs import start_run  # noqa: E402
from thtui.core.ratings import rate, ratings_for_run  # noqa: E402
from thtui.core.report import build_report, compose_grid, render, write_report  # noqa: E402
from thtui.core.report._probe import probe_video  # noqa: E402
from thtui.core.report.model import FP_RECORDED  # noqa: E402


def test_report_on_a_real_run(lab) -> None:  # noqa: F811  (the runs engine's fixture)
    spec = lab.spec("standin", "static")
    result = start_run(
        lab.settings, lab.catalog, spec, monitor=lab.monitor, store=lab.store(), fingerprint=True
    )
    assert result.ok, [j.metrics.failure_message for j in result.jobs]
    run_id, settings = result.run_id, lab.settings

    grid = compose_grid(settings, run_id, None, settings.outputs_dir / run_id / "compare.mp4", include_source=True,
                        tile_h=96)  # fmt: skip
    assert grid.labels == ["source", "standin", "static"]
    info = probe_video(grid.path)
    assert info.has_audio and abs(info.duration - 1.0) < 0.2
    assert_labelled(frame_at(grid.path, 0.5, grid.layout.width, grid.layout.height), grid)

    rate(settings, f"{run_id}/static", "ana", {"lip_sync": 1, "head_motion": 1, "artifacts": 5, "identity": 5},
         "baseline: never moves")  # fmt: skip
    assert ratings_for_run(settings, run_id)["static"].means["lip_sync"] == 1.0

    report = build_report(settings, run_id, thumbs_per_job=2)
    assert report.fingerprint_origin == FP_RECORDED, "the scheduler stored capture_fingerprint in run.json"
    assert set(report.fingerprint["solutions"]) == {"standin", "static"}
    assert report.fingerprint["solutions"]["standin"]["env"]["packages"], "pip freeze of the stand-in env"
    assert [r.job.solution for r in report.rows] == ["standin", "static"]
    assert all(r.values["wall_s"] and r.values["rtf"] for r in report.rows)
    assert report.rows[0].values["peak_vram_gb"] is not None
    dest = settings.outputs_dir / run_id / "report.html"
    write_report(report, "html", dest)
    page = check_links(dest.read_text(), dest.parent)
    assert len(page.imgs) == 4 and "compare.mp4" in page.hrefs
    data = json.loads(render(report, "json"))
    assert [j["success"] for j in data["jobs"]] == [True, True]
