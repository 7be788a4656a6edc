"""The evaluator's manifest (solutions/evaluator/evaluator.yaml) through the real setup engine against the
stand-ins: the same manifest with its weight URLs pointed at the local HTTP server (and its Hub weight at
the stand-in Hub), its torch profiles dropped and its requirements swapped for a tiny local wheel
(no PyPI or PyTorch index here). Weights download, are checked by sha256 and size, resume after a kill."""

from __future__ import annotations

import hashlib
import json
import os
import signal
from pathlib import Path

import yaml
from setuplab import SetupLab, sha, wait_for

from thtui.core.config import repo_root
from thtui.core.events import Collector
from thtui.core.gpu_info import GpuReport
from thtui.core.scores.paper_target import EVALUATOR, evaluator_env, evaluator_target, load_evaluator_manifest
from thtui.core.setup import StepSkipped, install

NO_GPU = GpuReport(None, None, (), "no GPU (test)")
REAL = repo_root() / "solutions" / "evaluator" / "evaluator.yaml"
DATA = {
    "syncnet_v2.model": hashlib.sha256(b"syncnet").digest() * 4096,
    "sfd_face.pth": hashlib.sha256(b"s3fd").digest() * 2048,
    "w600k_r50.onnx": hashlib.sha256(b"arcface").digest() * 1024,
    "det_10g.onnx": hashlib.sha256(b"scrfd").digest() * 512,
    "alexnet-owt-7be5be79.pth": hashlib.sha256(b"alexnet").digest() * 256,
    "lpips_alex_v0.1.pth": hashlib.sha256(b"lpips").digest() * 8,
    "pt_inception-2015-12-05-6726825d.pth": hashlib.sha256(b"inception").digest() * 256,
    "i3d_torchscript.pt": hashlib.sha256(b"i3d").digest() * 256,
}


def _standin_manifest(
    lab: SetupLab, data: dict[str, bytes] = DATA, serve: dict[str, bytes] | None = None
) -> Path:
    """The real manifest with stand-in sources, written where `thtui setup evaluator` looks for it."""
    raw = yaml.safe_load(REAL.read_text(encoding="utf-8"))
    served = serve or data
    hub: dict[str, dict[str, bytes]] = {}
    commits: dict[str, str] = {}
    for w in raw["weights"]:
        name = Path(w["dest"]).name
        if "url" in w:
            w["url"] = lab.server.add_file(f"/ev/{name}", served[name])
            w["sha256"], w["size"] = sha(data[name]), len(data[name])
            w.pop("min_size", None)  # the real AlexNet pin is a minimum size (no full sha256 known)
        else:
            hub.setdefault(w["hf"]["repo"], {})[w["hf"]["file"]] = served[name]
            if "sha256" in w:  # a Hub weight pinned by size and sha256 (the I3D): the stand-in's own pin
                w["sha256"], w["size"] = sha(data[name]), len(data[name])
            else:
                w["min_size"] = 1000
            if w["hf"].get("revision"):  # pinned to a commit: the stand-in Hub serves that commit
                commits[w["hf"]["repo"]] = w["hf"]["revision"]
    for repo, files in hub.items():  # one stand-in Hub repo holds both InsightFace files
        lab.server.add_hf_repo(repo, files, lfs=set(files), commit=commits.get(repo))
    raw["env"].update(torch={}, torch_default=None, pip=[str(lab.wheel)], verify_imports=["tinydep"])
    path = lab.solutions / EVALUATOR / "evaluator.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def test_real_manifest_pins_the_published_weights() -> None:
    model = load_evaluator_manifest(REAL)
    pins = {Path(w.dest).name: (w.size, w.sha256) for w in model.weights}
    assert pins["syncnet_v2.model"] == (
        54573114,
        "961e8696f888fce4f3f3a6c3d5b3267cf5b343100b238e79b2659bff2c605442",
    )
    assert pins["sfd_face.pth"] == (
        89844381,
        "d54a87c2b7543b64729c9a25eafd188da15fd3f6e02f0ecec76ae1b30d86c491",
    )
    for name in ("w600k_r50.onnx", "det_10g.onnx"):
        w = next(w for w in model.weights if w.dest.endswith(name))
        assert w.optional and "NON-COMMERCIAL" in w.note  # the licence travels with the weight
    i3d = next(w for w in model.weights if w.dest.endswith("i3d_torchscript.pt"))
    assert pins["i3d_torchscript.pt"] == (
        51235320,
        "bec6519f66ea534e953026b4ae2c65553c17bf105611c746d904657e5860a5e2",
    )  # StyleGAN-V's FVD I3D, pinned to a Hub commit (the bytes cannot move under it)
    assert (
        i3d.optional and i3d.hf is not None and i3d.hf.revision == "1c2d61711c52571ad617a1063e6fa691b212e184"
    )
    assert {"cpu", "cu124", "cu128"} <= set(model.env.torch) and model.env.torch_default == "cpu"


def test_cli_setup_installs_it_and_it_is_no_runnable_solution(lab: SetupLab) -> None:
    _standin_manifest(lab)
    lab.write()  # one ordinary solution beside it
    out = lab.thtui("setup", EVALUATOR)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "evaluator is ready" in out.stdout
    env = evaluator_env(lab.settings)
    assert env.ready and env.python.exists()
    for name, data in DATA.items():  # linked from the shared, content-addressed store
        link = env.weights / name
        assert link.is_symlink() and link.read_bytes() == data
        assert str(lab.settings.weights_dir) in os.readlink(link)
    rows = {r["name"]: r for r in json.loads(lab.thtui("status", "--json").stdout)}
    assert rows[EVALUATOR]["state"] == "ready"
    listed = json.loads(lab.thtui("list", "--json").stdout)
    names = {r["name"] for r in (listed if isinstance(listed, list) else listed.get("solutions", []))}
    assert "tiny" in names and EVALUATOR not in names
    again = install(lab.settings, evaluator_target(lab.settings), gpu=NO_GPU)  # shared, not re-downloaded
    assert again.ok and "weights" in again.skipped
    checked = lab.thtui("verify", EVALUATOR)
    assert checked.returncode == 0 and "8 weights verified" in checked.stdout, checked.stdout
    gone = lab.thtui("uninstall", EVALUATOR)
    assert gone.returncode == 0 and "evaluator: uninstalled" in gone.stdout, gone.stdout + gone.stderr
    assert not evaluator_env(lab.settings).ready and not env.python.exists()


def test_checksum_mismatch_is_refused(lab: SetupLab) -> None:
    wrong = dict(DATA, **{"sfd_face.pth": b"x" * len(DATA["sfd_face.pth"])})
    _standin_manifest(lab, serve=wrong)
    result = install(lab.settings, evaluator_target(lab.settings), gpu=NO_GPU)
    assert not result.ok and result.failed_step == "weights"
    assert "sfd_face.pth" in (result.error or "") and "sha256 mismatch" in (result.error or "")
    assert not (evaluator_env(lab.settings).weights / "sfd_face.pth").exists()
    assert evaluator_env(lab.settings).status.state == "broken"


def test_killed_download_resumes_from_its_last_byte(lab: SetupLab) -> None:
    big = dict(DATA, **{"syncnet_v2.model": os.urandom(2_000_000)})
    _standin_manifest(lab, big)
    lab.server.throttle = (16384, 0.01)
    part = lab.settings.weights_dir / "files" / sha(big["syncnet_v2.model"]) / "syncnet_v2.model.part"
    proc = lab.spawn("setup", EVALUATOR, log=lab.tmp / "first.log")
    wait_for(lambda: part.exists() and part.stat().st_size >= 200_000, timeout=60, what="a partial download")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = part.stat().st_size
    assert 0 < kept < len(big["syncnet_v2.model"])
    assert evaluator_env(lab.settings).status.step == "weights"
    lab.server.throttle = None
    seen = len(lab.server.requests)
    events = Collector()
    result = install(lab.settings, evaluator_target(lab.settings), events, gpu=NO_GPU)
    assert result.ok, result.error
    assert {e.step for e in events.of(StepSkipped)} >= {"env", "requirements"}
    ranges = [
        h.get("Range")
        for m, p, h in lab.server.requests[seen:]
        if p.endswith("syncnet_v2.model") and m == "GET"
    ]
    assert ranges == [f"bytes={kept}-"], ranges
    assert (evaluator_env(lab.settings).weights / "syncnet_v2.model").read_bytes() == big["syncnet_v2.model"]
