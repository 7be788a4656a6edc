"""The SyncNet reimplementation (thtui/evaluator) in an interpreter with torch: its state_dict has the
102 keys of the released `syncnet_v2.model` layout and a checkpoint loads with strict=True (a missing or
extra key is refused); S3FD's 65 keys likewise; and the whole evaluator runs on a control video (the
jawflap baseline) with random weights on the CPU.

torch is not in thtui's test extras: PyPI's default torch wheel pulls ~3 GB of CUDA libraries, far too
heavy for CI. These tests use THTUI_TORCH_PYTHON (an interpreter with torch, numpy and opencv, e.g. an
installed evaluator env's bin/python), else thtui's own interpreter when it has torch, else they skip.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from thtui.core import tools
from thtui.core.config import repo_root
from thtui.core.scores.paper_run import BOOT, PACKAGE_DIR, paper_argv, run_paper

pytestmark = pytest.mark.slow  # each case starts torch in a child interpreter (seconds each)


def _inside(python: str, code: str, *args: str) -> subprocess.CompletedProcess:
    """Run `code` in the torch interpreter with the evaluator package importable as thtui_evaluator."""
    load = BOOT.split("from thtui_evaluator.__main__")[0]  # the loader part only
    return subprocess.run(
        [python, "-c", load + code, str(PACKAGE_DIR), *args], capture_output=True, text=True, timeout=300
    )


WRITE = """
import torch
from thtui_evaluator import syncnet, s3fd
out = sys.argv[2]
sd = syncnet.build_model().state_dict()
mode = sys.argv[3]
if mode == 'missing':
    sd.pop('netfclip.3.bias')
elif mode == 'extra':
    sd['netcnnaud.99.weight'] = torch.zeros(1)
torch.save(sd, out + '/syncnet_v2.model')
torch.save(s3fd.build_model().state_dict(), out + '/sfd_face.pth')
print(json.dumps({k: list(v.shape) for k, v in syncnet.build_model().state_dict().items()}))
"""


def _keys(python: str, weights: Path) -> subprocess.CompletedProcess:
    return subprocess.run([python, "-c", BOOT, str(PACKAGE_DIR), "keys", "--weights", str(weights)],
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_state_dict_has_the_reference_layout_and_loads_strictly(torch_python: str, tmp_path: Path) -> None:
    made = _inside(torch_python, "import json\n" + WRITE, str(tmp_path), "full")
    assert made.returncode == 0, made.stderr
    shapes = json.loads(made.stdout.strip().splitlines()[-1])
    assert len(shapes) == 102
    assert {k.split(".")[0] for k in shapes} == {"netcnnaud", "netfcaud", "netcnnlip", "netfclip"}
    assert shapes["netcnnaud.0.weight"] == [64, 1, 3, 3]
    assert shapes["netcnnaud.18.weight"] == [512, 256, 5, 4]  # the last audio conv spans the 5x4 map
    assert shapes["netcnnlip.0.weight"] == [96, 3, 5, 7, 7]  # five frames in, one step out
    assert shapes["netcnnlip.18.weight"] == [512, 256, 1, 6, 6]
    assert shapes["netfcaud.3.weight"] == shapes["netfclip.3.weight"] == [1024, 512]
    assert shapes["netfclip.1.num_batches_tracked"] == []
    loaded = _keys(torch_python, tmp_path)
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert json.loads(loaded.stdout.strip().splitlines()[-1]) == {"syncnet_v2.model": 102, "sfd_face.pth": 65}


@pytest.mark.parametrize(("mode", "words"), [("missing", "Missing key"), ("extra", "Unexpected key")])
def test_a_checkpoint_with_other_keys_is_refused(
    torch_python: str, tmp_path: Path, mode: str, words: str
) -> None:
    made = _inside(torch_python, "import json\n" + WRITE, str(tmp_path), mode)
    assert made.returncode == 0, made.stderr
    refused = _keys(torch_python, tmp_path)
    assert refused.returncode == 1
    assert words in json.loads(refused.stdout.strip().splitlines()[-1])["error"]


@pytest.fixture(scope="module")
def control(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """1.6 s of the jawflap baseline driven by the repo's speech (40 frames at 25 fps, 512 px)."""
    from thtui.builtins.jawflap import make_video

    d = tmp_path_factory.mktemp("evaluator_control")
    ffmpeg = str(tools.ffmpeg().path)
    wav = d / "speech.wav"
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(repo_root() / "assets" / "speech.wav"), "-t", "1.6",
                    "-ac", "1", "-ar", "16000", str(wav)], check=True)  # fmt: skip
    portrait = repo_root() / "assets" / "portrait.jpg"
    code, _ = make_video(portrait, wav, d / "jawflap.mp4", 25, ffmpeg)
    assert code == 0
    return d / "jawflap.mp4", portrait, wav


def test_evaluator_runs_on_a_control_video_with_random_weights(torch_python: str, control: tuple) -> None:
    video, portrait, wav = control
    argv = paper_argv(torch_python, video, "/no/weights", portrait=portrait, device="cpu",
                      ffmpeg=str(tools.ffmpeg().path), random_weights=True, face_box="150,150,370,400")  # fmt: skip
    run = run_paper(argv, timeout=300)
    assert run.ok, (run.error, run.log_tail)
    d = run.data
    assert d["device"] == "cpu" and d["weights"].startswith("random")
    assert d["frames"] == 40 and d["windows"] == 35  # min(frames, audio frames) - 5 windows of 5 frames
    assert d["lse_d"] > 0 and d["lse_c"] >= 0 and -15 <= d["av_offset"] <= 15
    assert len(d["sync_curve"]) == 31  # shifts -15..+15
    assert d["roundtrip"] == "XVID AVI, then JPEG"  # the lossy steps of syncnet_python's pipeline
    assert d["csim"] is None and "ArcFace weights not installed" in d["missing"]["csim"]
    assert "--reference" in d["missing"]["psnr"]


def test_unusable_inputs_exit_with_a_reason(torch_python: str, control: tuple, tmp_path: Path) -> None:
    video, portrait, _ = control
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    bad = run_paper(
        paper_argv(
            torch_python, text, "/x", device="cpu", ffmpeg=str(tools.ffmpeg().path), random_weights=True
        )
    )
    assert not bad.ok and "no video stream" in (bad.error or "")
    box = run_paper(paper_argv(torch_python, video, "/x", device="cpu", ffmpeg=str(tools.ffmpeg().path),
                               random_weights=True, face_box="9,9,1,1"))  # fmt: skip
    assert not box.ok and box.exit_code == 2 and "--face-box" in (box.error or "")
    weights = run_paper(
        paper_argv(torch_python, video, "/no/weights", device="cpu", ffmpeg=str(tools.ffmpeg().path))
    )
    assert weights.exit_code == 3 and "thtui setup evaluator" in (weights.error or "")


def test_whole_frame_mode_reads_a_face_crop_video_as_it_is(torch_python: str, control: tuple) -> None:
    """demo_syncnet.py's form (its example.avi is a 224 px face crop): no detection, every frame used."""
    video, _, _ = control
    crop = video.with_name("crop224.avi")
    ffmpeg = str(tools.ffmpeg().path)
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(video), "-vf", "crop=300:300:110:130,scale=224:224",
                    "-c:v", "mjpeg", "-q:v", "2", "-c:a", "pcm_s16le", str(crop)], check=True)  # fmt: skip
    run = run_paper(paper_argv(torch_python, crop, "/x", device="cpu", ffmpeg=ffmpeg, random_weights=True,
                               whole_frame=True, reference=crop), timeout=300)  # fmt: skip
    assert run.ok, (run.error, run.log_tail)
    assert run.data["size"] == [224, 224] and run.data["windows"] == 35
    assert "S3FD" in run.data["track_source"] and "whole-frame" in run.data["missing"]["csim"]
    assert run.data["roundtrip"] == "JPEG"
    assert run.data["psnr"] == 100.0 and run.data["ssim"] == pytest.approx(1.0)  # its own ground truth
    assert run.data["reference_frames"] == 40 and "landmarks" in run.data["missing"]["lmd"]
    assert run.data["lpips"] == 0.0 and run.data["fid"] == pytest.approx(0.0, abs=1e-6)  # random weights


FAKE_ONNX = """
import torch, torch.nn as nn
out = sys.argv[2]

class Arc(nn.Module):  # 112x112 RGB -> 512-d, as w600k_r50.onnx
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 5, 4)
        self.fc = nn.Linear(8, 512)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))

class Det(nn.Module):  # 640x640 -> nine outputs of det_10g.onnx: scores, boxes, points per stride 8/16/32
    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(3, 30, s, s) for s in (8, 16, 32))

    def forward(self, x):
        outs = [c(x)[0].permute(1, 2, 0) for c in self.convs]
        scores = [torch.sigmoid(o[..., :2]).reshape(-1, 1) for o in outs]
        boxes = [(torch.relu(o[..., 2:10]) + 2).reshape(-1, 4) for o in outs]
        points = [o[..., 10:30].reshape(-1, 10) for o in outs]
        return tuple(scores + boxes + points)

torch.manual_seed(0)
torch.onnx.export(Arc().eval(), torch.zeros(2, 3, 112, 112), out + "/w600k_r50.onnx", input_names=["x"],
                  dynamic_axes={"x": {0: "n"}}, dynamo=False)
torch.onnx.export(Det().eval(), torch.zeros(1, 3, 640, 640), out + "/det_10g.onnx", input_names=["x"], dynamo=False)
print("exported")
"""


def test_csim_runs_through_onnx_sessions(torch_python: str, control: tuple, tmp_path: Path) -> None:
    """ArcFace and SCRFD through onnxruntime with stand-in networks of their I/O (random weights)."""
    made = _inside(torch_python, FAKE_ONNX, str(tmp_path))
    if made.returncode != 0 and "onnx" in made.stderr.lower() and "No module named" in made.stderr:
        pytest.skip("the torch interpreter has no `onnx` package to export the stand-in networks")
    assert made.returncode == 0, made.stderr[-2000:]
    video, portrait, _ = control
    run = run_paper(paper_argv(torch_python, video, tmp_path, portrait=portrait, device="cpu",
                               ffmpeg=str(tools.ffmpeg().path), random_weights=True, face_box="150,150,370,400"),
                    timeout=300)  # fmt: skip
    assert run.ok, (run.error, run.log_tail)
    assert -1.0 <= run.data["csim"] <= 1.0
    assert "five-point aligned (SCRFD det_10g)" in run.data["csim_faces"]
    assert run.data["csim_faces"].startswith("9 of 9")  # the portrait and every 5th of 40 frames


@pytest.mark.gpu
def test_evaluator_on_a_real_gpu(torch_python: str, control: tuple) -> None:
    """The same control on CUDA (S3FD on every frame, SyncNet on a fixed box); skipped without a GPU."""
    probe = subprocess.run([torch_python, "-c", "import torch; print(torch.cuda.is_available())"],
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    if probe.stdout.strip() != "True":
        pytest.skip("the torch interpreter sees no CUDA GPU")
    video, portrait, _ = control
    run = run_paper(paper_argv(torch_python, video, "/no/weights", portrait=portrait, device="cuda",
                               ffmpeg=str(tools.ffmpeg().path), random_weights=True, face_box="150,150,370,400"),
                    timeout=300)  # fmt: skip
    assert run.ok, (run.error, run.log_tail)
    assert run.data["device"] == "cuda" and run.data["windows"] == 35 and -15 <= run.data["av_offset"] <= 15
