"""The whole path on one stand-in: the setup engine installs it (local git clone at a pinned commit, an
env made by the fake `conda`), then the runs engine runs it in that env. No shortcuts in between."""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path

import pytest
import yaml
from runlab import STANDIN, Lab

from thtui.core.catalog import Catalog
from thtui.core.config import repo_root
from thtui.core.gpu_info import GpuReport
from thtui.core.install_status import solution_status
from thtui.core.jobs import RunSpec, start_run
from thtui.core.plan import env_prefix, repo_dir
from thtui.core.setup import install

sys.path.insert(0, str(repo_root() / "tests"))
from stand_ins.fake_conda import install_fake_conda  # noqa: E402
from stand_ins.gitrepo import commit_files, file_url  # noqa: E402


def test_installed_by_setup_then_run(lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "fakebin"
    install_fake_conda(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for var in ("CONDA_EXE", "MAMBA_EXE", "VIRTUAL_ENV", "PYTHONPATH"):
        monkeypatch.delenv(var, raising=False)
    files = {p.name: p.read_text() for p in (STANDIN / "repo").iterdir() if p.is_file()}
    upstream = tmp_path / "upstream"
    commit = commit_files(upstream, files)

    solutions = tmp_path / "solutions-setup"
    data = yaml.safe_load((STANDIN / "solution.yaml").read_text())
    data["upstream"] = {"repo": file_url(upstream), "commit": commit, "entry": "inference.py"}
    (solutions / "standin").mkdir(parents=True)
    (solutions / "standin" / "solution.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    catalog = Catalog.load(solutions)
    loaded = catalog.get("standin")
    settings = dataclasses.replace(lab.settings, data_root=tmp_path / "home-setup")  # nothing pre-installed

    assert solution_status(settings, loaded).state == "not installed"
    result = install(settings, loaded, gpu=GpuReport(None, None, (), "NVML unavailable (test)"))
    assert result.ok, (result.error, Path(result.log_path or "").read_text()[-2000:])
    assert solution_status(settings, loaded).state == "ready"
    assert (repo_dir(settings, "standin") / "inference.py").exists()
    env_python = env_prefix(settings, "standin") / "bin" / "python"
    assert env_python.exists() and env_python.resolve() != Path(sys.executable).resolve()

    monkeypatch.setenv("STANDIN_MODE", "vram")
    spec = RunSpec(solutions=("standin",), images=(lab.image,), audios=(lab.audio,))
    run = start_run(settings, catalog, spec, monitor=lab.monitor, store=lab.store(), fingerprint=False)
    (job,) = run.jobs
    assert run.status == "done", (job.metrics.failure_class, job.metrics.failure_message)
    assert job.metrics.vram_peak_mb == pytest.approx(1000, abs=1)
    log = (Path(job.job.job_dir) / "log.txt").read_text()
    assert f"argv {env_python} inference.py" in log  # the env setup made, in the clone setup made
    assert f"cwd {repo_dir(settings, 'standin')}" in log
