"""The HTML report in a real headless browser (Debian's chromium): it renders, and the screenshot shows
the metrics table and the thumbnail strips. Skips cleanly without chromium (CI installs it: .ci/run)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from thtui.core.config import Settings
from thtui.core.ratings import rate
from thtui.core.report import build_report, write_report

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p), None)


def screenshot(page: Path, png: Path, profile: Path) -> None:
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", f"--screenshot={png}", "--window-size=1280,900", page.as_uri()]  # fmt: skip
    subprocess.run(argv, check=True, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)  # type: ignore[list-item]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_report_renders_table_and_thumbnails(
    settings: Settings, two_solution_run: str, tmp_path: Path
) -> None:
    rate(
        settings,
        f"{two_solution_run}/alpha",
        "ana",
        {"lip_sync": 4, "head_motion": 3, "artifacts": 5, "identity": 4},
    )
    report = build_report(settings, two_solution_run)
    page = settings.outputs_dir / two_solution_run / "report.html"
    write_report(report, "html", page)
    png = tmp_path / "report.png"
    screenshot(page, png, tmp_path / "profile")

    shot = np.asarray(Image.open(png).convert("RGB")).astype(int)
    assert shot.shape == (900, 1280, 3)
    # The page is mostly white with dark text...
    assert (shot.sum(axis=2) > 740).mean() > 0.5
    assert (shot.sum(axis=2) < 200).sum() > 2000, "text is drawn"
    # ...the table header has its grey band, and the thumbnails bring strongly saturated colours (test
    # patterns), which nothing else on the page has: both are visible without scrolling.
    header_band = (np.abs(shot - np.array([0xF6, 0xF8, 0xFA])).max(axis=2) <= 2).sum(axis=1) > 600
    assert header_band.sum() >= 20, "no table header band in the first screen"
    saturation = shot.max(axis=2) - shot.min(axis=2)
    rows_with_thumbs = np.nonzero((saturation > 150).sum(axis=1) > 150)[0]
    assert len(rows_with_thumbs) > 60, "thumbnail strips not visible in the first screen"
    assert rows_with_thumbs.min() > np.nonzero(header_band)[0].min(), "thumbnails sit below the table"
