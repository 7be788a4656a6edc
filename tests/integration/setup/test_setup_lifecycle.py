"""Outdated detection after manifest edits, uninstall with shared weights, torch from a (local) CUDA
index with the GPU architecture check, and `bootstrap --dry-run`."""

from __future__ import annotations

import os

from setuplab import WEIGHT_DATA, SetupLab, sha
from stand_ins.packages import write_wheel

from thtui.core.events import Collector
from thtui.core.gpu_info import GpuInfo, GpuReport
from thtui.core.install_status import solution_status
from thtui.core.setup import Kept, Removed, StepNote, install, uninstall, verify

NO_GPU = GpuReport(None, None, (), "no GPU (test)")
H100 = GpuReport("550.54.15", "12.4", (GpuInfo(0, "NVIDIA H100 80GB HBM3", (9, 0), 81559, "GPU-0"),))
RTX5090 = GpuReport("570.124.04", "12.8", (GpuInfo(0, "NVIDIA GeForce RTX 5090", (12, 0), 32607, "GPU-1"),))


def test_manifest_change_makes_it_outdated_and_reruns_only_what_changed(lab: SetupLab) -> None:
    loaded = lab.write()
    assert install(lab.settings, loaded, gpu=NO_GPU).ok
    # a change that touches no step (summary text) keeps it ready
    assert solution_status(lab.settings, lab.write(summary="reworded")).state == "ready"

    extra = os.urandom(5000)
    url = lab.server.add_file("/w/extra.bin", extra)
    data = lab.manifest_data()
    data["weights"].append({"dest": "checkpoints/extra.bin", "url": url, "sha256": sha(extra)})
    changed = lab.write_data(data)
    status = solution_status(lab.settings, changed)
    assert status.state == "outdated" and status.step == "weights"
    assert status.detail.endswith("setup will redo: weights, verify")
    result = install(lab.settings, changed, gpu=NO_GPU)
    assert result.ok and result.ran == ("weights", "verify")

    data["env"]["python"] = "3.12"
    status = solution_status(lab.settings, lab.write_data(data))
    assert status.state == "outdated"
    assert "env, torch, requirements, patch-site, verify" in status.detail


def test_uninstall_keeps_weights_another_install_uses(lab: SetupLab) -> None:
    only = os.urandom(300_000)
    url = lab.server.add_file("/w/only.bin", only)
    data = lab.manifest_data("tiny")
    data["weights"].append({"dest": "checkpoints/only.bin", "url": url, "sha256": sha(only)})
    tiny, other = lab.write_data(data), lab.write("other")
    both = lab.thtui("setup", "tiny", "other", "--jobs", "2")  # in parallel, sharing the same weights
    assert both.returncode == 0, both.stdout + both.stderr
    assert solution_status(lab.settings, tiny).state == solution_status(lab.settings, other).state == "ready"
    shared = lab.settings.weights_dir / "files" / sha(WEIGHT_DATA["model"]) / "model.bin"
    mine = lab.settings.weights_dir / "files" / sha(only) / "only.bin"

    events = Collector()
    result = uninstall(lab.settings, tiny, events)
    assert result.ok
    assert not (lab.settings.envs_dir / "tiny").exists() and not (lab.settings.repos_dir / "tiny").exists()
    assert not mine.exists() and not mine.parent.exists()
    assert shared.exists()
    assert {k.reason for k in events.of(Kept)} == {"also used by other"} and len(events.of(Kept)) == 4
    assert result.freed_bytes >= len(only)
    assert any(e.path == str(mine) and e.bytes == len(only) for e in events.of(Removed))
    assert solution_status(lab.settings, tiny).state == "not installed"
    assert verify(lab.settings, other, gpu=NO_GPU).ok  # its weights are intact

    out = lab.thtui("uninstall", "other")
    assert out.returncode == 0 and "other: uninstalled" in out.stdout and "freed" in out.stdout
    assert not shared.exists()
    assert [p for p in lab.settings.weights_dir.rglob("*") if p.is_file()] == []


FAKE_TORCH = """
__version__ = "2.99.0+cu121"
class version:
    cuda = "12.1"
class cuda:
    @staticmethod
    def is_available():
        return True
    @staticmethod
    def get_arch_list():
        return ["sm_80", "sm_86", "sm_90"]
"""


def test_torch_profile_from_its_index_and_arch_check(lab: SetupLab) -> None:
    wheel = write_wheel(lab.tmp / "torch-index", "torch", "2.99.0+cu121", {"torch/__init__.py": FAKE_TORCH})
    index = lab.server.add_simple_package("torch", wheel)
    profile = {"torch": "2.99.0", "index_url": index, "min_driver": "525.60", "cuda": "12.1"}
    old = {"torch": "2.98.0", "index_url": index, "min_driver": "450.80", "cuda": "11.8"}
    loaded = lab.write(
        env__torch={"cu121": profile, "cu118": old},
        env__torch_default="cu121",
        env__verify_imports=["tinydep", "torch"],
        weights=[],
    )
    events = Collector()
    result = install(lab.settings, loaded, events, gpu=H100)
    assert result.ok, result.error
    assert "torch" in result.ran
    assert any("default profile 'cu121'" in n.text for n in events.of(StepNote))
    constraints = (lab.settings.envs_dir / "tiny" / "thtui-constraints.txt").read_text()
    assert constraints == "torch==2.99.0\n"
    index_hits = [p for m, p, h in lab.server.requests if p.startswith("/simple/torch")]
    assert index_hits, "torch must come from the profile's index_url"

    # An RTX 5090 (sm_120) needs CUDA >= 12.8 builds: verify names the problem and what to do.
    bad = verify(lab.settings, loaded, gpu=RTX5090)
    assert not bad.ok and bad.failed_step == "verify"
    assert bad.error == (
        "torch 2.99.0+cu121 has no kernels for NVIDIA GeForce RTX 5090 (sm_120); it was built for sm_80 sm_86 sm_90"
    )
    assert "CUDA >= 12.8" in bad.hint
    assert solution_status(lab.settings, loaded).state == "broken"
    assert verify(lab.settings, loaded, gpu=H100).ok


def test_bootstrap_dry_run_prints_every_action(lab: SetupLab, monkeypatch) -> None:
    out = lab.thtui("bootstrap", "--dry-run")
    assert out.returncode == 0, out.stderr
    assert (
        f"miniforge: a conda-family env manager  [skip: conda at {lab.tmp}/fakebin/conda (PATH)]"
        in out.stdout
    )
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("HOME", str(lab.tmp / "fresh-home"))
    out = lab.thtui("bootstrap", "--dry-run")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "dry run: nothing is changed" in text
    for expected in (
        "apt:",
        "git-lfs:",
        "Miniforge3-Linux-",
        "-b -p " + str(lab.settings.data_root / "miniforge"),
        "uv:",
    ):
        assert expected in text, expected
    assert not (lab.settings.data_root / "miniforge").exists()


def test_coqui_tts_env_installs_like_a_solution(lab: SetupLab, monkeypatch) -> None:
    """The real Coqui definition, with its torch index and the package index pointed at the stand-ins."""
    import dataclasses
    import subprocess

    from thtui.core.setup import coqui as coqui_mod
    from thtui.core.setup import coqui_env, coqui_target

    cpu_torch = FAKE_TORCH.replace("2.99.0+cu121", "2.6.0+cpu").replace("return True", "return False")
    torch_whl = write_wheel(lab.tmp / "idx", "torch", "2.6.0+cpu", {"torch/__init__.py": cpu_torch})
    audio_whl = write_wheel(lab.tmp / "idx", "torchaudio", "2.6.0+cpu", {"torchaudio/__init__.py": ""})
    tts_whl = write_wheel(
        lab.tmp / "idx",
        "coqui-tts",
        "0.28.0",
        {"TTS/__init__.py": "", "TTS/api.py": "class TTS:\n    pass\n"},
    )
    index = lab.server.add_simple_package("torch", torch_whl)
    lab.server.add_simple_package("torchaudio", audio_whl)
    lab.server.add_simple_package("coqui-tts", tts_whl)
    real = coqui_target()
    profiles = {n: p.model_copy(update={"index_url": index}) for n, p in real.env.torch.items()}
    local = dataclasses.replace(real, env=real.env.model_copy(update={"torch": profiles}))
    monkeypatch.setattr(coqui_mod, "coqui_target", lambda: local)

    assert not coqui_env(lab.settings).ready
    result = install(lab.settings, local, gpu=NO_GPU)
    assert result.ok, result.error
    info = coqui_env(lab.settings)
    assert info.ready and info.python == lab.settings.envs_dir / "coqui-tts" / "bin" / "python"
    probe = subprocess.run(
        [
            str(info.python),
            "-c",
            "import TTS.api, torch, os; print(torch.__version__, os.environ['TTS_HOME'])",
        ],
        env=info.environ,
        capture_output=True,
        text=True,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == ["2.6.0+cpu", str(lab.settings.weights_dir / "coqui-tts")]


def test_bootstrap_installs_miniforge_under_the_data_root(lab: SetupLab, monkeypatch) -> None:
    """The Miniforge action for real: download (sha256 from the published .sha256), run the installer
    with -b -p <data_root>/miniforge; afterwards setup finds that conda. The installer is a stand-in."""
    from stand_ins.fake_conda import install_fake_conda

    from thtui.core.bootstrap import plan_bootstrap, run_bootstrap
    from thtui.core.envs import detect_env_manager
    from thtui.core.setup import StepFailed

    wrapper = install_fake_conda(lab.tmp / "mf-src", "conda")
    script = (
        '#!/bin/bash\nwhile [ $# -gt 0 ]; do case "$1" in -p) P="$2"; shift 2;; *) shift;; esac; done\n'
        f'mkdir -p "$P/bin" && cp {wrapper} "$P/bin/conda" && echo "installation finished."\n'
    ).encode()
    url = lab.server.add_file("/mf/Miniforge3-Linux-x86_64.sh", script)
    lab.server.add_file(
        "/mf/Miniforge3-Linux-x86_64.sh.sha256", f"{sha(script)}  Miniforge3-Linux-x86_64.sh\n".encode()
    )
    monkeypatch.setenv("THTUI_MINIFORGE_URL", url)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("HOME", str(lab.tmp / "fresh-home"))
    assert detect_env_manager(lab.settings) is None

    actions = [a for a in plan_bootstrap(lab.settings) if a.name == "miniforge"]
    assert actions[0].needed
    events = Collector()
    assert run_bootstrap(lab.settings, actions, events)
    mgr = detect_env_manager(lab.settings)
    assert mgr is not None and mgr.exe == str(lab.settings.data_root / "miniforge" / "bin" / "conda")
    assert mgr.origin == "thtui bootstrap (Miniforge)"
    assert not events.of(StepFailed)

    # A tampered installer is refused before it runs.
    lab.server.add_file("/mf/Miniforge3-Linux-x86_64.sh", script + b"\necho evil\n")
    (lab.settings.cache_dir / "Miniforge3-Linux-x86_64.sh").unlink()
    events = Collector()
    assert not run_bootstrap(lab.settings, actions, events)
    assert "sha256 mismatch" in events.of(StepFailed)[0].error
