"""FVD (Fréchet Video Distance) against a ground truth, by StyleGAN-V's protocol (universome/stylegan-v,
src/metrics/frechet_video_distance.py and metric_utils.py), the one talking-head papers use through
LatentSync, fvd-comparison and common_metrics_on_video_quality:

- network: the Kinetics-400 I3D of DeepMind's kinetics-i3d (Apache-2.0) that StyleGAN-V's authors
  converted to TorchScript, `i3d_torchscript.pt` (51,235,320 bytes, sha256 below). It matches the TF-Hub
  I3D of Google's reference FVD up to the upsampling;
- input: clips of 16 consecutive frames as a uint8 tensor [B, C=3, T=16, H, W] with values 0..255, called
  with `rescale=True, resize=True, return_features=True`: the network itself scales to [-1, 1] and
  resizes every frame to 224 x 224 (so a non-square video is squeezed, as it is there), and returns the
  400 logits before the softmax as the clip's features;
- distance: the Fréchet distance of Gaussians fitted to the two sets of clip features, covariances
  divided by N (StyleGAN-V's FeatureStats: raw second moment / N minus the outer product of the mean).

How one video and its reference are cut into clips (thtui's choice; papers use whole test sets): the same
frame pairs as PSNR/SSIM/LPIPS (both at 25 fps, frame i against frame i from t = 0 over the shorter video,
the reference scaled to the generated size), cut into non-overlapping 16-frame clips from frame 0, the
frames after the last whole clip left out. A 10 s video gives 15 clips. A per-video FVD over a handful of
clips in 400 dimensions is very noisy (a rank-deficient covariance): the number to compare is the
run-level FVD over all clips of all cases of a system, computed from the features this pass saves.

The file is TorchScript, i.e. code as well as weights: it is loaded with torch.jit.load only after its
size and sha256 equal the pinned ones (the manifest's pin, passed as --i3d-pin), on top of the setup
engine's own check when it downloaded the file. The file is read once: its bytes are checked, and those
bytes (not the path, which could be swapped in between) are what torch.jit.load gets.
"""

from __future__ import annotations

from typing import Any

FILE = "i3d_torchscript.pt"
SIZE = 51_235_320
SHA256 = "bec6519f66ea534e953026b4ae2c65553c17bf105611c746d904657e5860a5e2"
CLIP = 16  # frames per clip (StyleGAN-V's fvd2048_16f)
DIMS = 400  # the Kinetics-400 logits
DETECTOR_KWARGS = {"rescale": True, "resize": True, "return_features": True}
BATCH = 2  # clips per forward pass (16 x 224 x 224 each after the network's resize)
DDOF = 0  # StyleGAN-V's covariance divides by N
METHOD = (
    "FVD (StyleGAN-V protocol): I3D (Kinetics-400, i3d_torchscript.pt) logits (400-d) of non-overlapping "
    "16-frame clips at 25 fps (frame i to frame i over the shorter video, from frame 0), uint8 0-255 "
    "[B,3,16,H,W] with rescale/resize to 224 in the network, covariances over N; per video it is very noisy "
    "(a few clips): the run-level value pools all clips of all cases"
)


def pin_text(size: int = SIZE, sha256: str = SHA256) -> str:
    return f"{size}:{sha256}"


def parse_pin(text: str) -> tuple[int, str]:
    """'SIZE:SHA256' -> (size, sha256); ValueError for anything else."""
    size, _, digest = text.partition(":")
    digest = digest.strip().lower()
    if not size.strip().isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"--i3d-pin {text!r}: expected SIZE:SHA256 (bytes, 64 hex digits)")
    return int(size), digest


def read_pinned(path: str, size: int, sha256: str) -> bytes:
    """The file's bytes, read once; ValueError unless they have exactly the pinned size and sha256 (size
    first: cheap). The caller loads these very bytes, never the path again: a file swapped after the check
    cannot reach torch.jit.load."""
    import hashlib
    import os

    with open(path, "rb") as f:
        got = os.fstat(f.fileno()).st_size
        if got != size:
            raise ValueError(f"{path}: {got} bytes, the pin says {size}: not the pinned I3D (not loaded)")
        data = f.read(size + 1)  # one byte over: a file that grew since fstat is off the pin too
    if len(data) != size:
        raise ValueError(f"{path}: {len(data)} bytes, the pin says {size}: not the pinned I3D (not loaded)")
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ValueError(
            f"{path}: sha256 {digest[:12]}…, the pin says {sha256[:12]}…: not the pinned I3D (not loaded)"
        )
    return data


def load_model(path: str, device: str, pin: tuple[int, str] = (SIZE, SHA256)) -> Any:
    """The TorchScript I3D, on `device`, in eval mode. Pinned bytes: torch.jit.load runs the TorchScript
    code inside the file, so it only ever sees bytes whose size and sha256 are the pinned ones (the bytes
    that were checked, from memory: the file is opened once)."""
    import io

    data = read_pinned(path, *pin)
    import torch

    return torch.jit.load(io.BytesIO(data), map_location="cpu").eval().to(device)


def features(model: Any, clips: Any, device: str) -> Any:
    """clips: uint8 array [N, 16, H, W, 3] (RGB) -> float64 array [N, 400]."""
    import numpy as np
    import torch

    x = torch.from_numpy(np.ascontiguousarray(clips)).to(device)
    x = x.permute(0, 4, 1, 2, 3).contiguous()  # [N, C, T, H, W], still uint8 0..255: the network rescales
    with torch.no_grad():
        f = model(x, **DETECTOR_KWARGS)
    if tuple(f.shape) != (len(clips), DIMS):
        raise ValueError(f"the I3D gave features of shape {tuple(f.shape)}, expected ({len(clips)}, {DIMS})")
    return f.double().cpu().numpy()


class Clips:
    """Cuts frame pairs into 16-frame clips and runs the I3D on each (BATCH clips at a time)."""

    def __init__(self, model: Any, device: str) -> None:
        self.model, self.device = model, device
        self.frames = 0  # frame pairs seen
        self.gen_frames: list[Any] = []  # the clip being filled
        self.ref_frames: list[Any] = []
        self.gen_clips: list[Any] = []  # whole clips waiting for the network
        self.ref_clips: list[Any] = []
        self.gen_feats: list[Any] = []
        self.ref_feats: list[Any] = []
        self.error: str | None = None  # the network failed: FVD absent, the other scores go on

    def add(self, generated: Any, reference: Any) -> None:
        import numpy as np

        if self.error is not None:
            return
        self.frames += 1
        self.gen_frames.append(generated)
        self.ref_frames.append(reference)
        if len(self.gen_frames) == CLIP:
            self.gen_clips.append(np.stack(self.gen_frames))
            self.ref_clips.append(np.stack(self.ref_frames))
            self.gen_frames, self.ref_frames = [], []
            if len(self.gen_clips) >= BATCH:
                self._flush()

    def _flush(self) -> None:
        import numpy as np

        if not self.gen_clips:
            return
        gen, ref = np.stack(self.gen_clips), np.stack(self.ref_clips)
        self.gen_clips, self.ref_clips = [], []
        try:
            g, r = features(self.model, gen, self.device), features(self.model, ref, self.device)
        except Exception as exc:  # e.g. out of GPU memory: LPIPS, FID, PSNR and SSIM still stand
            text = " ".join(f"{type(exc).__name__}: {exc}".split())
            self.error = f"the I3D failed on a clip: {text[:240]}"
            self.gen_feats, self.ref_feats = [], []
            return
        self.gen_feats.append(g)
        self.ref_feats.append(r)

    def features(self) -> tuple[Any, Any]:
        """(generated, reference) clip features, [clips, 400] each; the unfinished clip is left out."""
        from .frechet import rows

        self._flush()
        return rows(self.gen_feats, DIMS), rows(self.ref_feats, DIMS)

    def result(self) -> tuple[dict[str, Any], dict[str, str]]:
        """({"fvd", "fvd_clips"}, missing reason)."""
        gen, ref = self.features()
        if self.error is not None:
            return {"fvd": None}, {"fvd": self.error}
        if len(gen) == 0:
            why = (
                f"shorter than one {CLIP}-frame clip: {self.frames} frame pairs with the reference at 25 fps"
            )
            return {"fvd": None}, {"fvd": why}
        if len(gen) < 2:
            why = (
                f"one {CLIP}-frame clip ({self.frames} frame pairs): a Fréchet distance needs 2 clips per set "
                "(its features still count in the run-level FVD)"
            )
            return {"fvd": None, "fvd_clips": 1}, {"fvd": why}
        return {"fvd": distance(gen, ref), "fvd_clips": len(gen)}, {}


def distance(generated: Any, reference: Any) -> float:
    """FVD of two sets of clip features ([N, 400] each)."""
    from . import frechet

    return frechet.fid(generated, reference, ddof=DDOF)
