"""LPIPS (AlexNet v0.1) and FID (pytorch-fid's Inception) of thtui/evaluator, in an interpreter with torch:
their state_dicts have the reference layouts and load strictly (a missing, extra or misshapen key is
refused); LPIPS(x, x) = 0 and grows with noise; FID(A, A) ≈ 0 < FID(A, B), its Fréchet distance equal to
scipy's sqrtm form; the evaluator entry computes both against a ground truth and the set-level FID over
saved features. Random weights on the CPU (the released ones cannot be downloaded here).

Skipped without an interpreter with torch (THTUI_TORCH_PYTHON), as the SyncNet tests are.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from thtui.core import tools
from thtui.core.config import repo_root
from thtui.core.scores.paper_run import BOOT, PACKAGE_DIR, paper_argv, run_paper

pytestmark = pytest.mark.slow  # each case starts torch in a child interpreter


def _inside(python: str, code: str, *args: str) -> dict:
    """Run `code` with the evaluator importable as thtui_evaluator; its last stdout line is JSON."""
    load = BOOT.split("from thtui_evaluator.__main__")[0]
    done = subprocess.run([python, "-c", load + "import json, torch\n" + code, str(PACKAGE_DIR), *args],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


LPIPS_LAYOUT = """
from thtui_evaluator import lpips_alex as L
out = sys.argv[2]
m = L.build_model()
mine = {k: list(v.shape) for k, v in m.net.state_dict().items()}
lins = {k: list(v.shape) for k, v in m.lin_state_dict().items()}
torch.manual_seed(0)
alex = {k: torch.randn(s) for k, s in L.alexnet_layout().items()}
lin = {k: torch.rand(s) for k, s in L.lin_layout().items()}
torch.save(alex, out + '/alex.pth'); torch.save(lin, out + '/lin.pth')
loaded = L.load_model(out + '/alex.pth', out + '/lin.pth', 'cpu', check_prefix=False)
same = all(torch.equal(loaded.net.state_dict()[k], alex[k]) for k in mine) and all(
    torch.equal(loaded.lin_state_dict()[k], lin[k]) for k in lins)
refused = {}
for name, bad in (('missing', {k: v for k, v in alex.items() if k != 'classifier.6.bias'}),
                  ('extra', {**alex, 'features.12.weight': torch.zeros(1)}),
                  ('shape', {**alex, 'features.3.weight': torch.zeros(192, 64, 3, 3)})):
    torch.save(bad, out + '/bad.pth')
    try:
        L.load_model(out + '/bad.pth', out + '/lin.pth', 'cpu', check_prefix=False)
    except ValueError as exc:
        refused[name] = str(exc)
try:
    L.load_model(out + '/alex.pth', out + '/lin.pth', 'cpu')
except ValueError as exc:
    refused['prefix'] = str(exc)
print(json.dumps({'mine': mine, 'lins': lins, 'layout': {k: list(v) for k, v in L.alexnet_layout().items()},
                  'same': same, 'refused': refused}))
"""


def test_lpips_networks_have_the_reference_layouts_and_load_strictly(
    torch_python: str, tmp_path: Path
) -> None:
    got = _inside(torch_python, LPIPS_LAYOUT, str(tmp_path))
    layout = got["layout"]
    assert len(layout) == 16  # torchvision's AlexNet: 5 convs + 3 linears, weight and bias each
    assert got["mine"] == {k: v for k, v in layout.items() if k.startswith("features.")}  # the 10 tapped
    assert layout["features.0.weight"] == [64, 3, 11, 11] and layout["classifier.1.weight"] == [4096, 9216]
    assert got["lins"] == {
        "lin0.model.1.weight": [1, 64, 1, 1],
        "lin1.model.1.weight": [1, 192, 1, 1],
        "lin2.model.1.weight": [1, 384, 1, 1],
        "lin3.model.1.weight": [1, 256, 1, 1],
        "lin4.model.1.weight": [1, 256, 1, 1],
    }  # lpips 0.1.4's weights/v0.1/alex.pth (read from the PyPI wheel)
    assert got["same"]
    refused = got["refused"]
    assert "missing ['classifier.6.bias']" in refused["missing"]
    assert "unexpected ['features.12.weight']" in refused["extra"]
    assert "features.3.weight has shape (192, 64, 3, 3)" in refused["shape"]
    assert "expected 7be5be79" in refused["prefix"]  # torchvision's file name is its sha256 prefix


LPIPS_VALUES = """
from thtui_evaluator import lpips_alex as L
import numpy as np
torch.manual_seed(0)
m = L.build_model()
for lin in m.lins:  # the released linear weights are non-negative (clamped in training)
    lin.model[1].weight.data.abs_()
rng = np.random.default_rng(0)
x = rng.integers(0, 256, (2, 128, 128, 3)).astype(np.uint8)
def noisy(s):
    return np.clip(x + rng.normal(0, s, x.shape), 0, 255).astype(np.uint8)
print(json.dumps({'same': L.distances(m, list(x), list(x), 'cpu'),
                  'noise': [float(np.mean(L.distances(m, list(x), list(noisy(s)), 'cpu'))) for s in (5, 25, 80)]}))
"""


def test_lpips_is_zero_for_equal_frames_and_grows_with_noise(torch_python: str) -> None:
    got = _inside(torch_python, LPIPS_VALUES)
    assert got["same"] == [0.0, 0.0]
    small, medium, large = got["noise"]
    assert 0 < small < medium < large


FID_CHECK = """
from thtui_evaluator import fid_inception as F, frechet
import numpy as np
out = sys.argv[2]
torch.manual_seed(0)
m = F.build_model()
sd = m.state_dict()
torch.save(sd, out + '/inc.pth')
F.load_model(out + '/inc.pth', 'cpu')
m = F.load_model(None, 'cpu')  # the random-weights form the evaluator's checks use
refused = {}
for name, bad in (('missing', {k: v for k, v in sd.items() if k != 'Mixed_7c.branch_pool.conv.weight'}),
                  ('extra', {**sd, 'AuxLogits.fc.weight': torch.zeros(1000, 768)})):
    torch.save(bad, out + '/bad.pth')
    try:
        F.load_model(out + '/bad.pth', 'cpu')
    except RuntimeError as exc:
        refused[name] = str(exc)
rng = np.random.default_rng(0)
a = rng.integers(0, 256, (6, 64, 64, 3)).astype(np.uint8)
b = np.clip(a.astype(float) * 0.5 + 100, 0, 255).astype(np.uint8)
fa, fb = F.features(m, list(a), 'cpu'), F.features(m, list(b), 'cpu')
s1, s2 = np.cov(fa, rowvar=False), np.cov(fb, rowvar=False)
res = {'keys': len(sd), 'shape': list(fa.shape), 'fc': list(sd['fc.weight'].shape), 'refused': refused,
       'aa': frechet.fid(fa, fa), 'ab': frechet.fid(fa, fb)}
try:  # scipy's sqrtm on full-rank covariances (the first 4 dimensions of 6 frames)
    from scipy import linalg
    c1, c2 = s1[:4, :4], s2[:4, :4]
    res['scipy_trace'] = float(np.trace(linalg.sqrtm(c1 @ c2)).real)
    res['ours_trace'] = frechet.trace_sqrt_product(c1, c2)
except ImportError:
    pass
print(json.dumps(res))
"""


def test_fid_inception_layout_features_and_distance(torch_python: str, tmp_path: Path) -> None:
    got = _inside(torch_python, FID_CHECK, str(tmp_path))
    # torchvision's Inception3 without AuxLogits: 94 conv+BN units (6 keys each) and the 1008-class fc
    assert got["keys"] == 94 * 6 + 2 and got["fc"] == [1008, 2048]
    assert "Missing key" in got["refused"]["missing"] and "Unexpected key" in got["refused"]["extra"]
    assert got["shape"] == [6, 2048]  # pool3
    assert got["aa"] == pytest.approx(0.0, abs=1e-6)
    assert got["ab"] > 1e-3
    if "scipy_trace" in got:  # the eigen-decomposition form equals scipy's sqrtm on the same covariances
        assert got["ours_trace"] == pytest.approx(got["scipy_trace"], rel=1e-6)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """12 frames of the repo's portrait as a slow zoom (25 fps, 128 px) and a blurred copy of it."""
    d = tmp_path_factory.mktemp("perceptual")
    ffmpeg = str(tools.ffmpeg().path)
    clip, blurred = d / "clip.mp4", d / "blurred.mp4"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-loop", "1", "-i", str(repo_root() / "assets" / "portrait.jpg"),
                    "-i", str(repo_root() / "assets" / "speech.wav"),
                    "-vf", "scale=160:160,zoompan=z='1+0.01*on':d=25:s=128x128:fps=25", "-t", "0.48",
                    "-pix_fmt", "yuv420p", "-ac", "1", "-ar", "16000", str(clip)], check=True)  # fmt: skip
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(clip), "-vf", "gblur=sigma=3", "-c:a", "copy",
                    str(blurred)], check=True)  # fmt: skip
    return clip, blurred


def test_evaluator_scores_lpips_and_fid_against_a_ground_truth(
    torch_python: str, clips: tuple[Path, Path], tmp_path: Path
) -> None:
    """Through the evaluator's own entry (random weights, --whole-frame: no face detection needed)."""
    clip, blurred = clips
    ffmpeg = str(tools.ffmpeg().path)
    runs = {}
    for name, ref in (("self", clip), ("blurred", blurred)):
        argv = paper_argv(torch_python, clip, "/no/weights", reference=ref, device="cpu", ffmpeg=ffmpeg,
                          random_weights=True, whole_frame=True)  # fmt: skip
        argv += ["--features-out", str(tmp_path / f"{name}.npz")]
        run = run_paper(argv, timeout=300)
        assert run.ok, (run.error, run.log_tail)
        runs[name] = run.data
    same, blur = runs["self"], runs["blurred"]
    assert same["lpips"] == 0.0 and same["fid"] == pytest.approx(0.0, abs=1e-6)
    assert same["lpips_frames"] == same["fid_frames"] == 12
    assert blur["lpips"] > 0 and blur["fid"] > 1e-3
    assert "frame i to frame i" in blur["lpips_method"] and "noisy" in blur["fid_method"]
    assert "I3D" in blur["missing"]["fvd"] and "lpips" not in blur["missing"]
    pooled = subprocess.run([torch_python, "-c", BOOT, str(PACKAGE_DIR), "fid", "--features",
                             str(tmp_path / "self.npz"), str(tmp_path / "blurred.npz")],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert pooled.returncode == 0, pooled.stderr[-2000:]
    set_level = json.loads(pooled.stdout.strip().splitlines()[-1])
    assert set_level["frames"] == 24 and set_level["cases"] == 2
    assert 0 < set_level["fid"] < blur["fid"]  # half the pooled pairs are identical


def test_released_weights_absent_leave_lpips_and_fid_absent_with_the_reason(
    torch_python: str, clips: tuple[Path, Path], tmp_path: Path
) -> None:
    clip, _ = clips
    _inside(torch_python, "from thtui_evaluator import syncnet\n"
            "torch.save(syncnet.build_model().state_dict(), sys.argv[2] + '/syncnet_v2.model'); print('{}')",
            str(tmp_path))  # fmt: skip
    run = run_paper(paper_argv(torch_python, clip, tmp_path, reference=clip, device="cpu",
                               ffmpeg=str(tools.ffmpeg().path), whole_frame=True), timeout=300)  # fmt: skip
    assert run.ok, (run.error, run.log_tail)
    assert run.data["lpips"] is None and "alexnet-owt-7be5be79.pth" in run.data["missing"]["lpips"]
    assert run.data["fid"] is None and "pt_inception-2015-12-05" in run.data["missing"]["fid"]
    assert run.data["psnr"] == 100.0
