"""A job whose VRAM estimate exceeds every GPU's memory is refused before the run starts, with the numbers
(the real start_run path, the stand-in solution and the fake GPU backend)."""

from __future__ import annotations

import pytest
from runlab import Lab

from thtui.core.jobs import RunError


def test_job_over_every_gpu_is_refused_with_the_numbers(lab: Lab) -> None:
    lab.backend.devices[0].mem_total = 512 * 1024**2  # the stand-in's estimate is 1 GB
    with pytest.raises(RunError) as err:
        lab.run()
    text = str(err.value)
    assert "standin needs about 1 GB of GPU memory" in text
    assert "has 0.5 GB (GPU0 Fake GPU)" in text and "refused before it starts" in text
    assert not any(lab.settings.outputs_dir.glob("2*")), "refused before the run folder exists"


def test_job_that_fits_still_runs(lab: Lab) -> None:
    lab.backend.devices[0].mem_total = 2 * 1000**3  # 2 GB: the 1 GB estimate fits
    result, _ = lab.run()
    assert [j.metrics.status for j in result.jobs] == ["ok"]
