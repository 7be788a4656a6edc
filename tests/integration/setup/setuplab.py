"""The setup engine's test lab: a stand-in server (HTTP + Hub + Drive + package index), a fake conda on
PATH, a local upstream repo, a tiny requirement wheel and a manifest writer. Importable by other suites."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from thtui.core.catalog import LoadedSolution, load_manifest
from thtui.core.config import Settings, load_settings, repo_root

sys.path.insert(0, str(repo_root() / "tests"))
from stand_ins.fake_conda import install_fake_conda  # noqa: E402
from stand_ins.gitrepo import commit_files, file_url  # noqa: E402
from stand_ins.packages import write_wheel  # noqa: E402
from stand_ins.servers import StandInServer  # noqa: E402

UPSTREAM_FILES = {
    "inference.py": "import helper\nprint('talking head')\n",
    "helper.py": "VALUE = 1\n",
    "src/util.py": "import math\nscale = math.floor(2.5)  # np.float(x) in the real upstream\n",
}
TINYDEP = {"tinydep/__init__.py": "BROKEN = True\nif BROKEN:\n    pass\n"}

WEIGHT_DATA = {
    "model": hashlib.sha256(b"model").digest() * 4096,  # 128 kB
    "hub": hashlib.sha256(b"hub").digest() * 2048,
    "drive": hashlib.sha256(b"drive").digest() * 1024,
}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class SetupLab:
    tmp: Path
    settings: Settings
    server: StandInServer
    solutions: Path
    upstream_url: str
    commit: str
    wheel: Path
    extra: dict[str, Any] = field(default_factory=dict)

    def manifest_data(self, name: str = "tiny", **over: Any) -> dict[str, Any]:
        srv = self.server
        data: dict[str, Any] = {
            "name": name,
            "title": name.title(),
            "summary": "stand-in solution for setup tests",
            "upstream": {"repo": self.upstream_url, "commit": self.commit, "entry": "inference.py"},
            "license": {"code": "MIT", "weights": "MIT", "commercial": "yes"},
            "env": {
                "python": "3.11",
                "conda": ["ffmpeg"],
                "pip": [str(self.wheel)],
                "verify_imports": ["tinydep", "helper"],
            },
            "patches": [
                {
                    "id": "floor",
                    "path": "src/util.py",
                    "find": "math.floor(2.5)",
                    "replace": "int(2.5)",
                    "count": 1,
                    "reason": "stand-in for an np.float fix",
                },
                {
                    "id": "tinydep-fixed",
                    "target": "site-packages",
                    "path": "tinydep/__init__.py",
                    "find": "BROKEN = True",
                    "replace": "BROKEN = False",
                    "reason": "stand-in for basicsr's torchvision import",
                },
            ],
            "weights": [
                {
                    "dest": "checkpoints/model.bin",
                    "url": srv.url("/w/model.bin"),
                    "sha256": sha(WEIGHT_DATA["model"]),
                },
                {
                    "dest": "checkpoints/hub.bin",
                    "hf": {"repo": "org/model", "file": "a.bin"},
                    "sha256": sha(WEIGHT_DATA["hub"]),
                },
                {"dest": "checkpoints/extra", "hf": {"repo": "org/model", "include": ["cfg/*"]}},
                {"dest": "checkpoints/drive.bin", "gdrive": "DRIVE1", "sha256": sha(WEIGHT_DATA["drive"])},
            ],
            "infer": {"argv": ["{python}", "inference.py"], "output": {"path": "{output}"}},
            "estimates": {"vram_gb": 1, "sec_per_sec": 1, "disk_gb": 1, "source": "tests"},
        }
        for key, value in over.items():
            if "__" in key:  # env__pip=[...] sets data["env"]["pip"]
                outer, inner = key.split("__", 1)
                data[outer][inner] = value
            else:
                data[key] = value
        return data

    def write(self, name: str = "tiny", **over: Any) -> LoadedSolution:
        return self.write_data(self.manifest_data(name, **over))

    def write_data(self, data: dict[str, Any]) -> LoadedSolution:
        path = self.solutions / data["name"] / "solution.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return load_manifest(path)

    def thtui(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run the real CLI in a child process (the environment carries the lab's settings)."""
        return subprocess.run(
            [sys.executable, "-m", "thtui", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(os.environ),
        )

    def spawn(self, *args: str, log: Path) -> subprocess.Popen:
        fh = open(log, "w")  # noqa: SIM115 - the child owns it
        return subprocess.Popen(
            [sys.executable, "-m", "thtui", *args], stdout=fh, stderr=subprocess.STDOUT, env=dict(os.environ)
        )


def wait_for(predicate, timeout: float = 30.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def lab(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    server = StandInServer().start()
    server.add_file("/w/model.bin", WEIGHT_DATA["model"])
    server.add_hf_repo(
        "org/model", {"a.bin": WEIGHT_DATA["hub"], "cfg/config.json": b'{"dim": 8}\n'}, lfs={"a.bin"}
    )
    server.add_gdrive("DRIVE1", WEIGHT_DATA["drive"])
    bin_dir = tmp_path / "fakebin"
    install_fake_conda(bin_dir)
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "THTUI_SOLUTIONS": str(solutions),
        "THTUI_INSTALLER": "pip",  # deterministic even on a dev box with uv
        "PIP_CONFIG_FILE": os.devnull,  # no find-links / extra indexes of the machine
        "PIP_INDEX_URL": server.url("/simple/"),  # offline: unknown packages are a 404 here
        "PIP_FIND_LINKS": "",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "HF_ENDPOINT": server.url(""),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "THTUI_GDRIVE_URL": server.url("/uc"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    for k in ("HF_TOKEN", "CONDA_EXE", "MAMBA_EXE", "PYTHONPATH", "VIRTUAL_ENV"):
        monkeypatch.delenv(k, raising=False)
    upstream = tmp_path / "upstream"
    commit = commit_files(upstream, UPSTREAM_FILES)
    wheel = write_wheel(tmp_path / "wheels", "tinydep", "1.0", TINYDEP)
    yield SetupLab(
        tmp_path, load_settings(cwd=tmp_path), server, solutions, file_url(upstream), commit, wheel
    )
    server.stop()
