"""The torch-free parts of the evaluator's FVD (thtui/evaluator/fvd.py, perceptual.set_scores, frechet with
ddof) and of its wiring in thtui (the manifest's pin, the argv, the method text), in thtui's own interpreter
(no torch here: the FVD network itself is tested in tests/integration/evaluator/test_fvd_torch.py)."""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import json
import subprocess
import sys
import types
from contextlib import redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from thtui.core.config import Settings
from thtui.core.scores.paper_run import PAPER_METRICS, paper_argv
from thtui.core.scores.paper_target import evaluator_env
from thtui.core.scores.result import DOWN
from thtui.evaluator import frechet, fvd, perceptual
from thtui.evaluator.__main__ import Unusable, main

RELEASED = "51235320:bec6519f66ea534e953026b4ae2c65553c17bf105611c746d904657e5860a5e2"


def test_the_released_pin_and_the_protocol_constants() -> None:
    assert fvd.pin_text() == RELEASED and fvd.parse_pin(RELEASED) == (fvd.SIZE, fvd.SHA256)
    assert fvd.FILE == "i3d_torchscript.pt" and (fvd.CLIP, fvd.DIMS, fvd.DDOF) == (16, 400, 0)
    assert fvd.DETECTOR_KWARGS == {"rescale": True, "resize": True, "return_features": True}  # StyleGAN-V's
    assert fvd.parse_pin(" 12:" + "AB" * 32) == (12, "ab" * 32)
    for bad in ("", "12", "12:abc", "x:" + "a" * 64, "12:" + "g" * 64):
        with pytest.raises(ValueError, match="SIZE:SHA256"):
            fvd.parse_pin(bad)


def test_a_file_off_the_pin_is_refused_before_torch_is_even_imported(tmp_path: Path) -> None:
    """thtui's interpreter has no torch: reaching `import torch` (then torch.jit.load) would raise
    ImportError, so a ValueError here shows the pin check comes first."""
    path = tmp_path / fvd.FILE
    path.write_bytes(b"not the network" * 10)
    size, digest = 150, hashlib.sha256(path.read_bytes()).hexdigest()
    assert fvd.read_pinned(str(path), size, digest) == path.read_bytes()  # its own pin passes
    with pytest.raises(ValueError, match="150 bytes, the pin says 151"):
        fvd.load_model(str(path), "cpu", (151, digest))
    with pytest.raises(ValueError, match=r"sha256 [0-9a-f]{12}…, the pin says 000000000000…"):
        fvd.load_model(str(path), "cpu", (size, "0" * 64))
    with pytest.raises(ValueError, match="the pin says 51235320"):  # no pin given: the released file's
        fvd.load_model(str(path), "cpu")
    assert "torch" not in sys.modules


def test_torch_jit_load_gets_the_checked_bytes_not_the_path(tmp_path: Path, monkeypatch) -> None:
    """The pin check and the load read the file once: what torch.jit.load gets is the bytes that were
    hashed (a BytesIO), so a file swapped between the check and the load cannot be loaded. A stand-in
    `torch` records what jit.load was handed; the file is swapped for other bytes as torch is imported
    (between the check and the load), which a load by path would then read."""
    path = tmp_path / fvd.FILE
    pinned = b"the pinned network" * 20
    path.write_bytes(pinned)
    handed: list[object] = []

    class Model:
        def eval(self) -> Model:
            return self

        def to(self, device: str) -> Model:
            return self

    def jit_load(f: object, map_location: str | None = None) -> Model:
        assert isinstance(f, io.BytesIO), f"jit.load was handed {f!r}, not the checked bytes"
        handed.append(f.getvalue())
        return Model()

    class SwapOnImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        """`import torch` inside load_model comes after the check: the moment to swap the file."""

        def find_spec(self, name: str, *_: object) -> importlib.machinery.ModuleSpec | None:
            return importlib.util.spec_from_loader(name, self) if name == "torch" else None

        def exec_module(self, module: types.ModuleType) -> None:
            path.write_bytes(b"other code!" * 33 + b"x" * (len(pinned) - 363))
            module.jit = SimpleNamespace(load=jit_load)

    real_torch = sys.modules.pop("torch", None)  # thtui's interpreter has none; restored below either way
    monkeypatch.setattr(sys, "meta_path", [SwapOnImport(), *sys.meta_path])
    opened: list[str] = []
    real_open = open
    monkeypatch.setattr(
        fvd, "open", lambda p, *a, **k: opened.append(p) or real_open(p, *a, **k), raising=False
    )
    try:
        fvd.load_model(str(path), "cpu", (len(pinned), hashlib.sha256(pinned).hexdigest()))
    finally:
        sys.modules.pop("torch", None)
        if real_torch is not None:
            sys.modules["torch"] = real_torch
    assert path.read_bytes() != pinned  # the file was swapped after the check
    assert handed == [pinned]  # yet the loader got the checked bytes
    assert opened == [str(path)]  # read once


def _styleganv(x: np.ndarray, y: np.ndarray) -> float:
    """StyleGAN-V's FVD written out: FeatureStats' mean and covariance (raw second moment / N minus the
    outer product of the mean), then |mu1 - mu2|² + tr(S1 + S2 - 2 sqrtm(S1 S2)), tr sqrtm from the
    eigenvalues of S1 S2 itself."""

    def mean_cov(f: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mu = f.sum(0) / len(f)
        return mu, f.T @ f / len(f) - np.outer(mu, mu)

    (m1, s1), (m2, s2) = mean_cov(x), mean_cov(y)
    root = np.sqrt(np.clip(np.linalg.eigvals(s1 @ s2).real, 0, None)).sum()
    return float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * root)


def test_the_distance_is_styleganv_formula_with_covariances_over_n() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(60, 6)), rng.normal(1.0, 2.0, size=(50, 6)) @ rng.normal(size=(6, 6))
    assert fvd.distance(x, y) == pytest.approx(_styleganv(x, y), rel=1e-9)
    assert fvd.distance(x, y) != pytest.approx(frechet.fid(x, y), rel=1e-3)  # FID's N - 1 differs
    few_x, few_y = rng.normal(size=(5, 40)), rng.normal(0.5, 1.0, size=(7, 40))  # fewer clips than dims
    assert fvd.distance(few_x, few_y) == pytest.approx(_styleganv(few_x, few_y), rel=1e-6)
    assert fvd.distance(few_x, few_x) == pytest.approx(0.0, abs=1e-9)


def _npz(path: Path, **arrays: np.ndarray) -> str:
    np.savez_compressed(path, **{k: v.astype(np.float32) for k, v in arrays.items()})
    return str(path)


def test_set_level_pools_fvd_clips_and_fid_frames_each_when_present(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    frames = {"generated": rng.normal(size=(30, 8)), "reference": rng.normal(size=(30, 8))}
    one_clip = {"fvd_generated": rng.normal(size=(1, 400)), "fvd_reference": rng.normal(size=(1, 400))}
    both = _npz(tmp_path / "a.npz", **frames, **one_clip)
    clips_only = _npz(tmp_path / "b.npz", **one_clip)  # no Inception installed for that job
    pooled = perceptual.set_scores([both, clips_only])
    assert pooled["cases"] == 2 and pooled["frames"] == 30 and pooled["fid"] > 0
    assert pooled["fvd_clips"] == pooled["fvd_reference_clips"] == 2  # two one-clip jobs make a set
    gen = np.concatenate([one_clip["fvd_generated"]] * 2).astype(np.float32).astype(np.float64)
    ref = np.concatenate([one_clip["fvd_reference"]] * 2).astype(np.float32).astype(np.float64)
    assert pooled["fvd"] == pytest.approx(fvd.distance(gen, ref), rel=1e-9) and pooled["missing"] == {}
    fid_only = perceptual.set_scores([_npz(tmp_path / "c.npz", **frames)])
    assert fid_only["fvd"] is None and "got 0 and 0" in fid_only["missing"]["fvd"]
    with pytest.raises(Unusable, match="FID needs at least 2 frames.*FVD needs at least 2 16-frame clips"):
        perceptual.set_scores([clips_only])


def test_a_malformed_pin_is_a_usage_error_before_torch_starts(tmp_path: Path) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["score", "--video", str(tmp_path / "v.mp4"), "--reference", str(tmp_path / "r.mp4"),
                     "--i3d-pin", "51235320:bec6"])  # fmt: skip
    assert code == 2 and "expected SIZE:SHA256" in json.loads(out.getvalue())["error"]


def test_thtui_passes_the_manifest_pin_and_describes_fvd(settings: Settings, tmp_path: Path) -> None:
    assert evaluator_env(settings).i3d_pin == RELEASED  # from solutions/evaluator/evaluator.yaml
    argv = paper_argv("python", "v.mp4", "w", reference="r.mp4", i3d_pin=RELEASED)
    assert argv[argv.index("--i3d-pin") + 1] == RELEASED
    assert "--i3d-pin" not in paper_argv("python", "v.mp4", "w")
    info = PAPER_METRICS["fvd"]
    assert info.direction == DOWN and "StyleGAN-V" in info.method and "16-frame clips" in info.method
    assert "not carried" not in info.method


STANDIN = """#!{python}
import json, os, sys
with open(os.environ["STANDIN_LOG"], "a") as f:
    f.write(json.dumps(sys.argv[1:]) + "\\n")
print(json.dumps({{"fvd": 123.0, "fvd_clips": 6, "missing": {{}}}}))
"""


def test_score_paper_hands_the_pin_to_the_evaluator_and_keeps_its_fvd(tmp_path: Path, monkeypatch) -> None:
    from thtui.core.scores.paper_pipeline import PaperInput, score_paper

    python = tmp_path / "python"
    python.write_text(STANDIN.format(python=sys.executable))
    python.chmod(0o755)
    monkeypatch.setenv("STANDIN_LOG", str(tmp_path / "argv.jsonl"))
    env = SimpleNamespace(python=python, weights=tmp_path / "weights", i3d_pin=RELEASED)
    item = PaperInput("r/sadtalker/0", "r", "", "/v.mp4", None, None, "/gt.mp4")
    status, data, _ = score_paper(env, item, device="cpu")
    argv = json.loads((tmp_path / "argv.jsonl").read_text().splitlines()[0])
    assert argv[argv.index("--i3d-pin") + 1] == RELEASED
    assert status == "ok" and data["fvd"] == 123.0 and data["directions"]["fvd"] == DOWN
    assert data["evaluator"]["fvd_clips"] == 6


def test_an_unreadable_i3d_file_leaves_fvd_absent_and_the_other_scores_standing(
    tmp_path: Path, monkeypatch
) -> None:
    """A PermissionError reading the I3D (root reads anything, so the refusal is fvd's own `open`) is FVD's
    reason, not an evaluator crash that loses LSE/CSIM/PSNR of the whole video."""
    (tmp_path / fvd.FILE).write_bytes(b"the network")

    def refuse(path: str, *_: object, **__: object) -> None:
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(fvd, "open", refuse, raising=False)
    nets, missing, info = perceptual.open_models(str(tmp_path), False, "cpu", (11, "0" * 64))
    assert nets.clips is None and "fvd_method" not in info
    assert missing["fvd"].startswith("cannot read the I3D file: [Errno 13] Permission denied")
    assert "LPIPS weights not installed" in missing["lpips"]  # the rest goes on as without the file
    frame = np.zeros((8, 8, 3), np.uint8)
    nets.add(frame, frame)
    found, why = nets.result()
    assert found["fvd"] is None and why == {}


def test_a_non_finite_pooled_value_is_absent_not_nan(tmp_path: Path) -> None:
    """max(nan, 0.0) is nan: NaN features would put NaN in the table's pooled cell."""
    rng = np.random.default_rng(1)
    frames = {"generated": rng.normal(size=(30, 8)), "reference": rng.normal(size=(30, 8))}
    bad_clips = rng.normal(size=(3, 400))
    bad_clips[1, 5] = np.nan
    path = _npz(
        tmp_path / "a.npz", **frames, fvd_generated=bad_clips, fvd_reference=rng.normal(size=(3, 400))
    )
    assert np.isnan(fvd.distance(bad_clips, bad_clips[::-1]))  # NaN, not "SVD did not converge"
    pooled = perceptual.set_scores([path])
    assert pooled["fvd"] is None and pooled["missing"] == {"fvd": "not a finite number"}
    assert pooled["fid"] > 0  # the FID of the same jobs stands
    assert json.loads(json.dumps(pooled))["fvd"] is None  # no NaN in the evaluator's JSON
    nan_frames = {k: np.full((30, 8), np.nan) for k in frames}
    with pytest.raises(Unusable, match="not a finite number"):
        perceptual.set_scores([_npz(tmp_path / "b.npz", **nan_frames)])


def test_one_concatenate_or_empty_helper_and_one_i3d_file_name() -> None:
    from thtui.core.scores import paper_target

    assert paper_target.I3D_FILE is fvd.FILE  # imported, not repeated
    assert frechet.rows([], fvd.DIMS).shape == (0, 400)
    assert frechet.rows([np.ones((2, 3)), np.zeros((1, 3))], 3).tolist() == [[1, 1, 1], [1, 1, 1], [0, 0, 0]]
    assert [f.shape for f in perceptual.Perceptual(None, None, "cpu").features()] == [(0, 2048), (0, 2048)]
    assert [f.shape for f in fvd.Clips(None, "cpu").features()] == [(0, 400), (0, 400)]
    done = subprocess.run(  # fvd.py's top stays standard-library only: thtui's core can import it cheaply
        [sys.executable, "-c", "import sys, thtui.evaluator.fvd; print(sorted(m for m in sys.modules "
         "if m.split('.')[0] in ('numpy', 'torch', 'cv2')))"], capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "[]"
