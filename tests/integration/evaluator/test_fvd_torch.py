"""FVD of thtui/evaluator (fvd.py, StyleGAN-V's protocol) in an interpreter with torch, with a stand-in I3D:
a small TorchScript module with the released file's forward signature (x, rescale, resize, return_features)
that returns 400 features and refuses any feed but the protocol's (uint8 [B, 3, 16, H, W], the three
flags on). The released i3d_torchscript.pt cannot be downloaded here.

- through the real setup engine: the stand-in, pinned by its own size and sha256 in the stand-in manifest,
  downloads from the local Hub stand-in, resumes after a kill, is linked, and the pin the evaluator gets
  from the manifest loads it; a tampered file is then refused;
- the pin is checked before torch.jit.load ever sees the file;
- the network sees [B, 3, 16, H, W] in that order and RGB: the stand-in puts dims 3 and 4 and each channel's
  mean in its first features, read back for a 64x48 pure red video;
- FVD of a video against itself is 0, grows with blur (sigma 1 < 2 < 4) and is > 0 for a shifted copy;
- through the evaluator's entry: per-job FVD with its clip count, absent with the reason for a video shorter
  than one 16-frame clip, and the run-level FVD over the saved clip features (`fid --features`).

Skipped without an interpreter with torch (THTUI_TORCH_PYTHON), as the other evaluator torch tests are.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from setuplab import SetupLab, sha, wait_for
from test_evaluator_setup import DATA, NO_GPU, _standin_manifest

from thtui.core import tools
from thtui.core.config import repo_root
from thtui.core.scores.paper_run import BOOT, PACKAGE_DIR, paper_argv, run_paper
from thtui.core.scores.paper_target import evaluator_env, evaluator_target
from thtui.core.setup import install

pytestmark = pytest.mark.slow  # each case starts torch in a child interpreter

PAD = 2_000_000  # bytes of padding in the stand-in, so that a throttled download can be killed halfway

STANDIN = '''
import sys
import torch
import torch.nn.functional as F


class StandInI3D(torch.nn.Module):
    """The forward signature of StyleGAN-V's i3d_torchscript.pt; anything but the protocol's feed is refused."""

    def __init__(self, pad: int) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv1 = torch.nn.Conv3d(3, 16, (3, 7, 7), stride=(1, 4, 4), padding=(1, 3, 3))
        self.conv2 = torch.nn.Conv3d(16, 32, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(64, 400)
        self.register_buffer("padding", torch.randn(pad // 4))

    def forward(self, x: torch.Tensor, rescale: bool = False, resize: bool = False,
                return_features: bool = False) -> torch.Tensor:
        assert x.dtype == torch.uint8, "the protocol feeds uint8 0..255"
        assert x.dim() == 5 and x.shape[1] == 3 and x.shape[2] == 16, "the protocol feeds [B, 3, 16, H, W]"
        assert rescale and resize and return_features, "the protocol passes rescale, resize, return_features"
        seen = x.float()
        h = seen / 127.5 - 1.0
        h = F.interpolate(h, size=(h.shape[2], 224, 224), mode="trilinear", align_corners=False)
        h = F.relu(self.conv2(F.relu(self.conv1(h))))
        out = self.fc(torch.cat([h.mean(dim=(2, 3, 4)), h.std(dim=(2, 3, 4))], dim=1))
        # what the network was fed, in its first features (the tests read them back): dims 3 and 4 of the
        # input and each input channel's mean, so that swapped H/W or BGR frames show; scaled by 1e-6 so
        # that they do not move the FVDs the other tests compare
        b = x.shape[0]
        size = torch.tensor([float(x.shape[3]), float(x.shape[4])]).repeat(b, 1)
        return torch.cat([torch.cat([size, seen.mean(dim=(2, 3, 4))], dim=1) * 1e-6, out[:, 5:]], dim=1)


torch.jit.save(torch.jit.script(StandInI3D(int(sys.argv[3]))), sys.argv[2] + "/i3d_torchscript.pt")
from thtui_evaluator import syncnet
torch.save(syncnet.build_model().state_dict(), sys.argv[2] + "/syncnet_v2.model")  # random, for the entry
print("{}")
'''


def _inside(python: str, code: str, *args: str) -> dict:
    """Run `code` with the evaluator importable as thtui_evaluator; its last stdout line is JSON."""
    load = BOOT.split("from thtui_evaluator.__main__")[0]
    done = subprocess.run([python, "-W", "ignore", "-c", load + "import json, torch\n" + code, str(PACKAGE_DIR),
                           *args], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def weights(torch_python: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A weights folder: the stand-in I3D and a random SyncNet (the entry needs one; LPIPS/FID absent)."""
    d = tmp_path_factory.mktemp("fvd-weights")
    script = d.parent / "standin_i3d.py"  # torch.jit.script reads the class's source from its file
    script.write_text(BOOT.split("from thtui_evaluator.__main__")[0] + "\n" + STANDIN, encoding="utf-8")
    done = subprocess.run([torch_python, "-W", "ignore", str(script), str(PACKAGE_DIR), str(d), str(PAD)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return d


def _pin(path: Path) -> str:
    data = path.read_bytes()
    return f"{len(data)}:{hashlib.sha256(data).hexdigest()}"


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """4 s of the repo's portrait as a slow zoom (25 fps, 128 px: 100 frames, 6 whole clips), blurred copies
    (sigma 1, 2, 4), a copy shifted 8 px right, and a 12-frame clip (shorter than one clip)."""
    d = tmp_path_factory.mktemp("fvd-videos")
    ffmpeg = str(tools.ffmpeg().path)
    out = {"clip": d / "clip.mp4", "short": d / "short.mp4"}
    subprocess.run([ffmpeg, "-v", "error", "-y", "-loop", "1", "-i", str(repo_root() / "assets" / "portrait.jpg"),
                    "-i", str(repo_root() / "assets" / "speech.wav"),
                    "-vf", "scale=160:160,zoompan=z='1+0.004*on':d=100:s=128x128:fps=25", "-t", "4",
                    "-pix_fmt", "yuv420p", "-ac", "1", "-ar", "16000", str(out["clip"])], check=True)  # fmt: skip
    filters = {"blur1": "gblur=sigma=1", "blur2": "gblur=sigma=2", "blur4": "gblur=sigma=4",
               "shift": "crop=120:128:0:0,pad=128:128:8:0"}  # fmt: skip
    for name, vf in filters.items():
        out[name] = d / f"{name}.mp4"
        subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(out["clip"]), "-vf", vf, "-c:a", "copy",
                        str(out[name])], check=True)  # fmt: skip
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(out["clip"]), "-frames:v", "12", str(out["short"])],
                   check=True)  # fmt: skip
    return out


PIN_FIRST = """
from thtui_evaluator import fvd
import numpy as np
path, size, digest = sys.argv[2], int(sys.argv[3]), sys.argv[4]
calls = []
real_load = torch.jit.load
def counting_load(*a, **k):
    calls.append(type(a[0]).__name__)
    return real_load(*a, **k)
torch.jit.load = counting_load
refused = {}
for name, pin in (('sha256', (size, '0' * 64)), ('size', (size + 1, digest))):
    try:
        fvd.load_model(path, 'cpu', pin)
    except ValueError as exc:
        refused[name] = str(exc)
before = len(calls)
model = fvd.load_model(path, 'cpu', (size, digest))
clip = np.random.default_rng(0).integers(0, 256, (1, 16, 64, 48, 3)).astype(np.uint8)
feats = fvd.features(model, clip, 'cpu')
try:  # the stand-in refuses any feed but the protocol's: a float clip in [0, 1] (LatentSync's call) fails
    model(torch.rand(1, 3, 16, 64, 48), rescale=True, resize=True, return_features=True)
    float_refused = False
except Exception:
    float_refused = True
print(json.dumps({'refused': refused, 'loads_before': before, 'loads_after': len(calls), 'handed': calls,
                  'shape': list(feats.shape), 'float_refused': float_refused}))
"""


def test_the_pin_is_checked_before_torch_jit_load_sees_the_file(torch_python: str, weights: Path) -> None:
    path = weights / "i3d_torchscript.pt"
    size, digest = _pin(path).split(":")
    got = _inside(torch_python, PIN_FIRST, str(path), size, digest)
    assert got["loads_before"] == 0  # neither a wrong sha256 nor a wrong size reached torch.jit.load
    assert "not the pinned I3D (not loaded)" in got["refused"]["sha256"]
    assert f"the pin says {int(size) + 1}" in got["refused"]["size"]
    assert got["loads_after"] == 1 and got["shape"] == [1, 400]
    assert (
        got["handed"] == ["BytesIO"]
    )  # the checked bytes, not the path (which could be swapped meanwhile)  # uint8 [1, 3, 16, 64, 48] -> 400 features
    assert got["float_refused"]


FEED = """
from thtui_evaluator import fvd, media
path, pin, video = sys.argv[2], fvd.parse_pin(sys.argv[3]), sys.argv[4]
model = fvd.load_model(path, 'cpu', pin)
out = {}
for decoder in (sys.argv[5], 'none'):  # ffmpeg, and OpenCV (BGR by nature) where there is none
    clips = fvd.Clips(model, 'cpu')
    for g in media.frames(decoder, video, media.frame_size(decoder, video)):
        clips.add(g, g)
    gen, _ = clips.features()
    out[decoder] = gen[:, :5].tolist()
print(json.dumps(out))
"""


def test_the_network_is_fed_h_then_w_and_rgb(torch_python: str, weights: Path, tmp_path: Path) -> None:
    """A 64 px wide, 48 px high, pure red video: the protocol's [B, 3, T, H, W] puts 48 in dim 3 and 64 in
    dim 4, and channel 0 (R) is the bright one. The stand-in returns what it saw in its first features."""
    ffmpeg = str(tools.ffmpeg().path)
    video = tmp_path / "red.mp4"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=64x48:r=25:d=1",
                    "-pix_fmt", "yuv444p", "-c:v", "libx264", "-qp", "0", str(video)], check=True)  # fmt: skip
    path = weights / "i3d_torchscript.pt"
    got = _inside(torch_python, FEED, str(path), _pin(path), str(video), ffmpeg)
    for decoder, feats in got.items():
        assert len(feats) == 1, decoder  # 25 frames: one whole 16-frame clip
        h, w, r, g, b = (v * 1e6 for v in feats[0])  # the stand-in scales what it saw by 1e-6
        assert (h, w) == (pytest.approx(48), pytest.approx(64)), decoder
        assert r > 200 and g < 60 and b < 60, (decoder, r, g, b)


DAMAGE = """
from thtui_evaluator import fvd, media
path, pin, ffmpeg, ref = sys.argv[2], fvd.parse_pin(sys.argv[3]), sys.argv[4], sys.argv[5]
model = fvd.load_model(path, 'cpu', pin)
out = {}
for name, other in json.loads(sys.argv[6]).items():
    size = media.frame_size(ffmpeg, ref)
    clips = fvd.Clips(model, 'cpu')
    for g, r in zip(media.frames(ffmpeg, other, size), media.frames(ffmpeg, ref, size)):
        clips.add(g, r)
    found, why = clips.result()
    out[name] = {**found, 'why': why.get('fvd'), 'frames': clips.frames}
print(json.dumps(out))
"""


def test_fvd_is_zero_for_the_same_video_and_grows_with_the_damage(
    torch_python: str, weights: Path, videos: dict[str, Path]
) -> None:
    path = weights / "i3d_torchscript.pt"
    others = {k: str(videos[k]) for k in ("clip", "blur1", "blur2", "blur4", "shift")}
    got = _inside(torch_python, DAMAGE, str(path), _pin(path), str(tools.ffmpeg().path), str(videos["clip"]),
                  json.dumps(others))  # fmt: skip
    assert {v["frames"] for v in got.values()} == {100} and {v["fvd_clips"] for v in got.values()} == {6}
    same, b1, b2, b4, shift = (got[k]["fvd"] for k in ("clip", "blur1", "blur2", "blur4", "shift"))
    assert same == pytest.approx(0.0, abs=1e-9)
    assert 0 < b1 < b2 < b4  # monotone in the blur
    assert shift > 0  # an 8 px shift moves the clip features too


def test_the_evaluator_scores_fvd_and_pools_it_over_jobs(
    torch_python: str, weights: Path, videos: dict[str, Path], tmp_path: Path
) -> None:
    ffmpeg, pin = str(tools.ffmpeg().path), _pin(weights / "i3d_torchscript.pt")
    runs = {}
    for name, ref in (("self", videos["clip"]), ("blurred", videos["blur2"])):
        argv = paper_argv(torch_python, videos["clip"], weights, reference=ref, device="cpu", ffmpeg=ffmpeg,
                          whole_frame=True, i3d_pin=pin, features_out=tmp_path / f"{name}.npz")  # fmt: skip
        run = run_paper(argv, timeout=300)
        assert run.ok, (run.error, run.log_tail)
        runs[name] = run.data
    same, blur = runs["self"], runs["blurred"]
    assert same["fvd"] == pytest.approx(0.0, abs=1e-9) and blur["fvd"] > 0
    assert same["fvd_clips"] == blur["fvd_clips"] == 6 and "fvd" not in blur["missing"]
    assert "16-frame clips" in blur["fvd_method"] and "StyleGAN-V" in blur["fvd_method"]
    assert "LPIPS weights not installed" in blur["missing"]["lpips"]  # the other networks stay optional
    with np.load(tmp_path / "blurred.npz") as z:
        assert set(z.files) == {"fvd_generated", "fvd_reference"}  # no Inception here: FVD's features only
        assert z["fvd_generated"].shape == z["fvd_reference"].shape == (6, 400)
    pooled = subprocess.run([torch_python, "-c", BOOT, str(PACKAGE_DIR), "fid", "--features",
                             str(tmp_path / "self.npz"), str(tmp_path / "blurred.npz")],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert pooled.returncode == 0, pooled.stderr[-2000:]
    set_level = json.loads(pooled.stdout.strip().splitlines()[-1])
    assert set_level["fvd_clips"] == set_level["fvd_reference_clips"] == 12 and set_level["cases"] == 2
    assert 0 < set_level["fvd"] < blur["fvd"]  # half the pooled clips are identical
    assert set_level["fid"] is None and "FID needs at least 2 frames" in set_level["missing"]["fid"]


def test_fvd_absent_with_the_reason_short_video_wrong_pin_random_weights(
    torch_python: str, weights: Path, videos: dict[str, Path]
) -> None:
    ffmpeg, pin = str(tools.ffmpeg().path), _pin(weights / "i3d_torchscript.pt")
    short = videos["short"]  # the pin is checked before any clip: the short video shows those reasons too
    cases = {"short": dict(i3d_pin=pin), "wrong pin": dict(i3d_pin=pin[:-4] + "0000"),
             "no pin given": {}, "random": dict(i3d_pin=pin, random_weights=True)}  # fmt: skip
    got = {}
    for name, kw in cases.items():
        run = run_paper(paper_argv(torch_python, short, weights, reference=short, device="cpu", ffmpeg=ffmpeg,
                                   whole_frame=True, **kw), timeout=300)  # fmt: skip
        assert run.ok, (name, run.error, run.log_tail)
        got[name] = run.data
    assert got["short"]["fvd"] is None
    assert got["short"]["missing"]["fvd"].startswith("shorter than one 16-frame clip: 12 frame pairs")
    assert got["short"]["psnr"] == 100.0  # the frame scores still come
    for name in ("wrong pin", "no pin given"):  # no pin given: the released file's, which the stand-in is not
        assert got[name]["fvd"] is None and "not the pinned I3D (not loaded)" in got[name]["missing"]["fvd"]
        assert got[name]["psnr"] == 100.0
    assert "the pin says 51235320" in got["no pin given"]["missing"]["fvd"]
    assert got["random"]["fvd"] is None and "--random-weights: the I3D" in got["random"]["missing"]["fvd"]


TAMPER = """
from thtui_evaluator import perceptual, fvd
nets, missing, info = perceptual.open_models(sys.argv[2], False, 'cpu', fvd.parse_pin(sys.argv[3]))
if nets.clips is not None:
    import numpy as np
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, (32, 64, 64, 3)).astype(np.uint8)
    for f in frames:
        nets.add(f, 255 - f)
found, why = nets.result()
print(json.dumps({'fvd': found['fvd'], 'clips': found.get('fvd_clips'), 'why': {**missing, **why}.get('fvd')}))
"""


def test_the_setup_engine_fetches_resumes_and_pins_the_i3d_the_evaluator_loads(
    lab: SetupLab, torch_python: str, weights: Path
) -> None:
    """The stand-in I3D as the manifest's Hub weight (its own size and sha256, the manifest's commit)."""
    i3d = (weights / "i3d_torchscript.pt").read_bytes()
    path = _standin_manifest(lab, dict(DATA, **{"i3d_torchscript.pt": i3d}))
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))  # the I3D first, then the two required weights
    keep = ("i3d_torchscript.pt", "syncnet_v2.model", "sfd_face.pth")
    raw["weights"] = sorted((w for w in raw["weights"] if Path(w["dest"]).name in keep),
                            key=lambda w: keep.index(Path(w["dest"]).name))  # fmt: skip
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    revision = raw["weights"][0]["hf"]["revision"]
    part = (lab.settings.weights_dir / "hf" / "flateon--FVD-I3D-torchscript" / revision /
            "i3d_torchscript.pt.part")  # fmt: skip
    lab.server.throttle = (16384, 0.01)
    proc = lab.spawn("setup", "evaluator", log=lab.tmp / "first.log")
    wait_for(lambda: part.exists() and part.stat().st_size >= 200_000, timeout=60, what="a partial I3D")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = part.stat().st_size
    assert 0 < kept < len(i3d)
    lab.server.throttle = None
    seen = len(lab.server.requests)
    result = install(lab.settings, evaluator_target(lab.settings), gpu=NO_GPU)
    assert result.ok, result.error
    ranges = [h.get("Range") for m, p, h in lab.server.requests[seen:]
              if p.endswith("i3d_torchscript.pt") and m == "GET"]  # fmt: skip
    assert ranges == [f"bytes={kept}-"], ranges
    env = evaluator_env(lab.settings)
    assert env.i3d_pin == f"{len(i3d)}:{sha(i3d)}"  # the manifest's pin, as score_paper passes it
    link = env.weights / "i3d_torchscript.pt"
    assert link.is_symlink() and link.read_bytes() == i3d
    loaded = _inside(torch_python, TAMPER, str(env.weights), env.i3d_pin)
    assert loaded["clips"] == 2 and loaded["fvd"] > 0 and loaded["why"] is None
    store = Path(os.readlink(link))
    store.write_bytes(i3d[:-8] + b"tampered")  # same size, other bytes: refused before it is loaded
    tampered = _inside(torch_python, TAMPER, str(env.weights), env.i3d_pin)
    assert tampered["fvd"] is None and "not the pinned I3D (not loaded)" in tampered["why"]
