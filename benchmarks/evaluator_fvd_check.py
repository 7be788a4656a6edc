"""FVD of thtui/evaluator (fvd.py) on a GPU box (or the CPU) with a stand-in I3D: a small TorchScript module
with the released i3d_torchscript.pt's forward signature (x, rescale, resize, return_features) that returns
400 features and refuses any feed but StyleGAN-V's (uint8 [B, 3, 16, H, W], the three flags on). The
released file is not needed (and cannot be fetched where this runs); the check is of the plumbing on the
device: the pin check, torch.jit.load onto the GPU, the clip cutting, the features and the distance.

    python benchmarks/evaluator_fvd_check.py [--device cuda] [--frames 100] [--size 512]

Frames are made without ffmpeg (OpenCV): the repo's portrait as a slow zoom, `--frames` at `--size` px, and
copies blurred (sigma 1, 2, 4) and shifted 8 px. Prints one line per comparison (FVD, clips, seconds) and
the pooled FVD of two jobs' saved clip features (perceptual.set_scores, as the run level does).
Run by the torch interpreter itself (no thtui install needed).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "thtui" / "evaluator"


class StandInI3D(torch.nn.Module):
    """The forward signature of StyleGAN-V's i3d_torchscript.pt; anything but the protocol's feed is refused."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv1 = torch.nn.Conv3d(3, 16, (3, 7, 7), stride=(1, 4, 4), padding=(1, 3, 3))
        self.conv2 = torch.nn.Conv3d(16, 32, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(64, 400)

    def forward(
        self, x: torch.Tensor, rescale: bool = False, resize: bool = False, return_features: bool = False
    ) -> torch.Tensor:
        assert x.dtype == torch.uint8, "the protocol feeds uint8 0..255"
        assert x.dim() == 5 and x.shape[1] == 3 and x.shape[2] == 16, "the protocol feeds [B, 3, 16, H, W]"
        assert rescale and resize and return_features, "the protocol passes rescale, resize, return_features"
        h = x.float() / 127.5 - 1.0
        h = F.interpolate(h, size=(h.shape[2], 224, 224), mode="trilinear", align_corners=False)
        h = F.relu(self.conv2(F.relu(self.conv1(h))))
        return self.fc(torch.cat([h.mean(dim=(2, 3, 4)), h.std(dim=(2, 3, 4))], dim=1))


def _package() -> None:
    spec = importlib.util.spec_from_file_location(
        "thtui_evaluator", PKG / "__init__.py", submodule_search_locations=[str(PKG)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["thtui_evaluator"] = module
    spec.loader.exec_module(module)


def _videos(frames: int, size: int) -> dict[str, list]:
    import cv2
    import numpy as np

    rgb = cv2.imread(str(ROOT / "assets" / "portrait.jpg"))[:, :, ::-1]
    h, w = rgb.shape[:2]
    clip = []
    for i in range(frames):  # zoom in by 0.4 % a frame around the centre
        z = 1 + 0.004 * i
        ch, cw = int(h / z), int(w / z)
        y, x = (h - ch) // 2, (w - cw) // 2
        clip.append(np.ascontiguousarray(cv2.resize(rgb[y : y + ch, x : x + cw], (size, size))))
    out = {"self": clip}
    for s in (1, 2, 4):
        out[f"blur{s}"] = [cv2.GaussianBlur(f, (0, 0), s) for f in clip]
    out["shift8"] = [np.pad(f, ((0, 0), (8, 0), (0, 0)), mode="edge")[:, :size] for f in clip]
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda")
    p.add_argument("--frames", type=int, default=100)
    p.add_argument("--size", type=int, default=512)
    args = p.parse_args()
    print(f"torch {torch.__version__}, cuda {torch.cuda.is_available()}",
          torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")  # fmt: skip
    _package()
    from thtui_evaluator import fvd, perceptual

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/{fvd.FILE}"
        torch.jit.save(torch.jit.script(StandInI3D()), path)
        data = Path(path).read_bytes()
        pin = (len(data), hashlib.sha256(data).hexdigest())
        try:
            fvd.load_model(path, args.device)  # the released file's pin: the stand-in is refused unloaded
        except ValueError as exc:
            print(f"released pin on the stand-in: refused ({str(exc).split(': ', 1)[1]})")
        t0 = time.monotonic()
        model = fvd.load_model(path, args.device, pin)
        print(
            f"stand-in I3D {pin[0]} bytes, pin checked and loaded on {args.device} in {time.monotonic() - t0:.2f} s"
        )
        videos = _videos(args.frames, args.size)
        print(
            f"{args.frames} frames at {args.size} px per video ({args.frames // fvd.CLIP} clips of {fvd.CLIP})"
        )
        for name, frames in videos.items():
            if args.device == "cuda":
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            t0 = time.monotonic()
            nets = perceptual.Perceptual(None, None, args.device, fvd.Clips(model, args.device))
            for g, r in zip(frames, videos["self"], strict=True):
                nets.add(g, r)
            found, why = nets.result(f"{tmp}/{name}.npz")
            if args.device == "cuda":
                torch.cuda.synchronize()
            peak = (
                f", peak {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB" if args.device == "cuda" else ""
            )
            print(f"FVD {name:>6} vs self: {found['fvd']!r} over {found.get('fvd_clips')} clips "
                  f"({time.monotonic() - t0:.2f} s{peak}) {why.get('fvd', '')}")  # fmt: skip
        pooled = perceptual.set_scores([f"{tmp}/self.npz", f"{tmp}/blur2.npz"])
        print(
            f"set-level over self + blur2: fvd {pooled['fvd']!r}, {pooled['fvd_clips']} clips, {pooled['cases']} cases"
        )


if __name__ == "__main__":
    main()
