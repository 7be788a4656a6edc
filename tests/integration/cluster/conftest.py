"""One local Ray cluster for this folder's tests (one per xdist worker when they are split: each has its own
ports and temp dirs, so they never meet). Skipped where Ray is not installed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="the optional extra 'cluster' (Ray) is not installed")

from clusterlab import ClusterLab, start_lab, stop_lab  # noqa: E402
from media_factory import make_tone  # noqa: E402

from thtui.core.jobs.proctree import kill_marked  # noqa: E402


def _image(path: Path) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 64), (192, 128, 64)).save(path)
    return path


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterLab]:
    lab = start_lab(
        tmp_path_factory.mktemp("cluster"),
        "node-a",
        ("standin", "standin_kids", "standin_kids2", "standin_crash"),
    )
    lab.add_node("node-b", ("standin", "standin_kids", "standin_kids2", "standin_crash"))
    lab.image = _image(lab.root / "in" / "face.png")  # type: ignore[attr-defined]
    lab.audio = make_tone(lab.root / "in" / "speech.wav", 1.0)  # type: ignore[attr-defined]
    try:
        yield lab
    finally:
        for run_dir in lab.head.outputs_dir.glob("2*"):  # never leave a job process behind
            kill_marked(f"{run_dir.name}/", prefix=True, grace=0.5)
        stop_lab(lab)
