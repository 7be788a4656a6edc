"""The FVD network's weight through the real setup engine, without torch (runs in CI): the manifest's I3D is a
Hub file pinned to a commit, by size and sha256; the stand-in Hub serves that commit. Installed, it is linked
and thtui hands its pin to the evaluator; bytes off the pin are refused and never linked."""

from __future__ import annotations

import hashlib

import yaml
from setuplab import SetupLab, sha
from test_evaluator_setup import DATA, NO_GPU, _standin_manifest

from thtui.core.scores.paper_target import evaluator_env, evaluator_target
from thtui.core.setup import install

I3D = "i3d_torchscript.pt"


def test_the_i3d_is_fetched_at_its_commit_linked_and_its_pin_handed_on(lab: SetupLab) -> None:
    path = _standin_manifest(lab)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    (i3d,) = [w for w in raw["weights"] if w["dest"].endswith(I3D)]
    result = install(lab.settings, evaluator_target(lab.settings), gpu=NO_GPU)
    assert result.ok, result.error
    env = evaluator_env(lab.settings)
    assert (env.weights / I3D).read_bytes() == DATA[I3D]
    assert env.i3d_pin == f"{len(DATA[I3D])}:{sha(DATA[I3D])}" == f"{i3d['size']}:{i3d['sha256']}"
    got = [p for m, p, h in lab.server.requests if m == "GET" and p.endswith(I3D)]
    assert got and all(f"/resolve/{i3d['hf']['revision']}/" in p for p in got), got  # the pinned commit


def test_i3d_bytes_off_the_pin_are_refused_and_not_linked(lab: SetupLab) -> None:
    wrong = dict(DATA, **{I3D: hashlib.sha256(b"other").digest() * 256})  # same size, other bytes
    _standin_manifest(lab, serve=wrong)
    result = install(lab.settings, evaluator_target(lab.settings), gpu=NO_GPU)
    assert not result.ok and result.failed_step == "weights"
    # the Hub's LFS sha256 of the served bytes is checked against the manifest's before any byte is fetched
    assert (
        f"{I3D}: the manifest's sha256" in (result.error or "") and "differs from the Hub's" in result.error
    )
    assert not (evaluator_env(lab.settings).weights / I3D).exists()
