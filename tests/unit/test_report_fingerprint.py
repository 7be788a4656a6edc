"""Environment fingerprint: pip freeze per env (a fake env interpreter), upstream commit from a local git
clone, patches, manifest digest; stable digest; and the diff of two fingerprints."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest

from thtui.core.catalog import Catalog
from thtui.core.config import Settings
from thtui.core.gpu_info import GpuInfo, GpuReport
from thtui.core.report.diff import diff_fingerprints
from thtui.core.report.fingerprint import capture_fingerprint, fingerprint_digest, parse_freeze

MANIFEST = """
name: fakeup
title: Fake upstream
summary: test manifest
upstream: {repo: "https://example.invalid/fakeup.git", commit: "%(commit)s", entry: infer.py}
license: {code: MIT, weights: MIT, commercial: "yes"}
env: {python: "3.10", pip: ["numpy"]}
patches:
  - {id: np-float, path: infer.py, find: "np.float(", replace: "float(", reason: "numpy 1.24 removed np.float"}
infer:
  argv: ["{python}", "infer.py", "--out", "{output}"]
  output: {path: "{output}"}
estimates: {vram_gb: 1, sec_per_sec: 1, disk_gb: 1, source: test}
"""

FREEZE = """torch==2.1.2+cu121
numpy==1.26.4
-e git+https://example.invalid/x.git@abc#egg=xpkg
face_alignment @ file:///tmp/face_alignment-1.3.5.tar.gz
"""

GPUS = GpuReport("550.54.15", "12.4", (GpuInfo(0, "NVIDIA H100 80GB HBM3", (9, 0), 81559, "GPU-1"),))


def _git(*args: str, cwd: Path) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
           "PATH": "/usr/bin:/bin", "HOME": str(cwd)}  # fmt: skip
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def fake_install(settings: Settings, tmp_path: Path) -> tuple[Catalog, str]:
    """A one-solution catalog, its 'clone' (a local git repo) and its 'env' (a python that answers freeze)."""
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    clone = settings.repos_dir / "fakeup"
    clone.mkdir(parents=True)
    (clone / "infer.py").write_text("print('hi')\n")
    _git("init", "-q", cwd=clone)
    _git("add", "infer.py", cwd=clone)
    _git("commit", "-q", "-m", "init", cwd=clone)
    head = _git("rev-parse", "HEAD", cwd=clone)

    solutions = tmp_path / "solutions" / "fakeup"
    solutions.mkdir(parents=True)
    (solutions / "solution.yaml").write_text(MANIFEST % {"commit": head})

    py = settings.envs_dir / "fakeup" / "bin" / "python"
    py.parent.mkdir(parents=True)
    py.write_text(
        '#!/bin/sh\nif [ "$1" = "-m" ]; then cat <<"EOF"\n' + FREEZE + "EOF\nelse echo 3.10.14; fi\n"
    )
    py.chmod(0o755)
    return Catalog.load(tmp_path / "solutions"), head


def test_parse_freeze_keeps_versions_and_sources() -> None:
    pk = parse_freeze(FREEZE + "\n# comment\nPyYAML==6.0.1\n")
    assert pk["torch"] == "2.1.2+cu121"
    assert pk["pyyaml"] == "6.0.1"  # names normalised (PEP 503)
    assert pk["face-alignment"].startswith("file:///")
    assert pk["xpkg"].startswith("-e git+")


def test_capture_records_env_commit_patches_and_gpu(settings: Settings, fake_install) -> None:
    catalog, head = fake_install
    fp = capture_fingerprint(settings, catalog, ["fakeup", "nosuch"], gpu_report=GPUS)
    sol = fp["solutions"]["fakeup"]
    assert sol["env"]["python"] == "3.10.14"
    assert sol["env"]["torch"] == "2.1.2+cu121" and sol["env"]["torch_cuda"] == "12.1"
    assert sol["env"]["packages"]["numpy"] == "1.26.4"
    assert sol["upstream"]["head_commit"] == head and sol["upstream"]["pinned_commit"] == head
    assert sol["upstream"]["dirty"] is False
    assert [p["id"] for p in sol["patches"]] == ["np-float"]
    assert sol["manifest_digest"] == catalog.get("fakeup").digest
    assert "error" in fp["solutions"]["nosuch"]
    assert fp["gpu"]["driver"] == "550.54.15" and fp["gpu"]["gpus"][0]["sm"] == "sm_90"
    assert fp["thtui"]["version"] and fp["os"]["python"] and fp["host_packages"]["pyyaml"]
    # the digest covers the facts, not the moment of capture
    again = capture_fingerprint(settings, catalog, ["fakeup", "nosuch"], gpu_report=GPUS)
    assert again["digest"] == fp["digest"] == fingerprint_digest(again)


def test_missing_env_is_reported_not_raised(settings: Settings, fake_install) -> None:
    catalog, _ = fake_install
    shutil.rmtree(settings.envs_dir / "fakeup")
    shutil.rmtree(settings.repos_dir / "fakeup")
    fp = capture_fingerprint(settings, catalog, ["fakeup"], gpu_report=GpuReport(None, None, (), "no NVML"))
    sol = fp["solutions"]["fakeup"]
    assert sol["env"]["packages"] == {} and "not found" in sol["env"]["error"]
    assert sol["upstream"]["head_commit"] is None and sol["upstream"]["error"]
    assert fp["gpu"]["error"] == "no NVML"


def test_diff_names_every_kind_of_change(settings: Settings, fake_install) -> None:
    catalog, _ = fake_install
    a = capture_fingerprint(settings, catalog, ["fakeup"], gpu_report=GPUS)
    assert diff_fingerprints(a, copy.deepcopy(a)) == []
    b = copy.deepcopy(a)
    b["gpu"]["driver"] = "560.28.03"
    b["solutions"]["fakeup"]["upstream"]["head_commit"] = "f" * 40
    b["solutions"]["fakeup"]["env"]["packages"]["numpy"] = "2.0.0"
    b["solutions"]["fakeup"]["env"]["packages"]["scipy"] = "1.13.0"
    b["solutions"]["fakeup"]["env"]["torch"] = "2.4.0+cu124"
    b["solutions"]["fakeup"]["patches"] = []
    b["solutions"]["fakeup"]["manifest_digest"] = "0" * 16
    changes = {(c.section, c.item): (c.before, c.after) for c in diff_fingerprints(a, b)}
    assert changes[("machine", "NVIDIA driver")] == ("550.54.15", "560.28.03")
    assert changes[("solution fakeup", "upstream head commit")][1] == "f" * 40
    assert changes[("packages fakeup", "numpy")] == ("1.26.4", "2.0.0")
    assert changes[("packages fakeup", "scipy")] == (None, "1.13.0")
    assert changes[("solution fakeup", "env torch")] == ("2.1.2+cu121", "2.4.0+cu124")
    assert changes[("solution fakeup", "patches")] == (["np-float"], [])
    assert ("solution fakeup", "manifest digest") in changes
