"""SyncNet (Chung & Zisserman 2016) in the layout of the released `syncnet_v2.model` state_dict, and the
LSE-C / LSE-D / AV-offset computation of the standard evaluation.

Layout (the checkpoint's 102 keys, which load with strict=True): four nn.Sequential towers,
`netcnnaud` (2-D convs on a 1x13x20 MFCC window), `netfcaud`, `netcnnlip` (3-D convs on 3x5x224x224 BGR
face crops, values 0-255 unnormalised) and `netfclip`; each FC tower is 512 -> BN -> ReLU -> 1024.
The towers are built from the tables below, so the module indices (and thus the key names) follow the
order of the layers.

Scores: for windows i (frames i..i+4, MFCC columns 4i..4i+19) each stream gives a 1024-d embedding; the
audio embeddings are zero-padded by 15 on each side; for every shift k in 0..30 the mean over i of the
Euclidean distance between video i and audio i+k-15 gives one curve. LSE-D = its minimum, LSE-C = its
median minus its minimum, AV offset = 15 - argmin (SyncNet's sign: audio delayed by d frames reads -d).
"""

from __future__ import annotations

from typing import Any

VSHIFT = 15  # +-15 frames (+-0.6 s at 25 fps)
STATE_DICT_KEYS = 102
NAME = "SyncNet"

# (kind, args) in order; "conv"/"bn"/"relu"/"pool". Kernel sizes as (H, W) or (T, H, W).
AUDIO_CNN = [
    ("conv", (1, 64, (3, 3), (1, 1), (1, 1))), ("bn", 64), ("relu",), ("pool", ((1, 1), (1, 1), 0)),
    ("conv", (64, 192, (3, 3), (1, 1), (1, 1))), ("bn", 192), ("relu",), ("pool", ((3, 3), (1, 2), 0)),
    ("conv", (192, 384, (3, 3), (1, 1), (1, 1))), ("bn", 384), ("relu",),
    ("conv", (384, 256, (3, 3), (1, 1), (1, 1))), ("bn", 256), ("relu",),
    ("conv", (256, 256, (3, 3), (1, 1), (1, 1))), ("bn", 256), ("relu",), ("pool", ((3, 3), (2, 2), 0)),
    ("conv", (256, 512, (5, 4), (1, 1), (0, 0))), ("bn", 512), ("relu",),
]  # fmt: skip
LIP_CNN = [
    ("conv", (3, 96, (5, 7, 7), (1, 2, 2), 0)), ("bn", 96), ("relu",), ("pool", ((1, 3, 3), (1, 2, 2), 0)),
    ("conv", (96, 256, (1, 5, 5), (1, 2, 2), (0, 1, 1))), ("bn", 256), ("relu",),
    ("pool", ((1, 3, 3), (1, 2, 2), (0, 1, 1))),
    ("conv", (256, 256, (1, 3, 3), (1, 1, 1), (0, 1, 1))), ("bn", 256), ("relu",),
    ("conv", (256, 256, (1, 3, 3), (1, 1, 1), (0, 1, 1))), ("bn", 256), ("relu",),
    ("conv", (256, 256, (1, 3, 3), (1, 1, 1), (0, 1, 1))), ("bn", 256), ("relu",),
    ("pool", ((1, 3, 3), (1, 2, 2), 0)),
    ("conv", (256, 512, (1, 6, 6), (1, 1, 1), 0)), ("bn", 512), ("relu",),
]  # fmt: skip


def _tower(spec: list[tuple], dims: int) -> Any:
    import torch.nn as nn

    conv, bn, pool = (
        (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d) if dims == 2 else (nn.Conv3d, nn.BatchNorm3d, nn.MaxPool3d)
    )
    layers = []
    for kind, *args in spec:
        if kind == "conv":
            cin, cout, k, s, p = args[0]
            layers.append(conv(cin, cout, kernel_size=k, stride=s, padding=p))
        elif kind == "bn":
            layers.append(bn(args[0]))
        elif kind == "relu":
            layers.append(nn.ReLU())
        else:
            k, s, p = args[0]
            layers.append(pool(kernel_size=k, stride=s, padding=p))
    return nn.Sequential(*layers)


def _head() -> Any:
    import torch.nn as nn

    return nn.Sequential(nn.Linear(512, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, 1024))


def build_model() -> Any:
    """A fresh SyncNet with random weights (eval mode)."""
    import torch.nn as nn

    class SyncNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.netcnnaud = _tower(AUDIO_CNN, 2)
            self.netfcaud = _head()
            self.netfclip = _head()
            self.netcnnlip = _tower(LIP_CNN, 3)

        def audio(self, x: Any) -> Any:  # (N, 1, 13, 20) MFCC
            return self.netfcaud(self.netcnnaud(x).flatten(1))

        def lips(self, x: Any) -> Any:  # (N, 3, 5, 224, 224) BGR 0-255
            return self.netfclip(self.netcnnlip(x).flatten(1))

    return SyncNet().eval()


def load_model(path: str | None, device: str) -> Any:
    """The model with the checkpoint at `path` loaded strictly (every key, no extra), or random weights
    (a seeded init, for tests and device checks) when `path` is None."""
    import torch

    if path is None:
        torch.manual_seed(0)
        return build_model().to(device)
    model = build_model()
    state = torch.load(path, map_location="cpu", weights_only=True)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:  # one line naming the keys, not torch's multi-line dump
        raise ValueError(
            f"{path}: not the {NAME} layout: {' '.join(str(exc).split(':', 1)[-1].split())[:400]}"
        ) from None
    return model.to(device)


def embed(
    model: Any, crops: Any, cepstra: Any, samples: int, device: str, batch: int = 20
) -> tuple[Any, Any]:
    """crops (T, 224, 224, 3) uint8 BGR; cepstra (frames, 13) MFCC at 100/s of `samples` 16 kHz samples
    -> (N, 1024) video and audio embeddings for N = min(T, samples // 640) - 5 windows."""
    import numpy as np
    import torch

    n = min(len(crops), samples // 640) - 5
    if n < 1:
        raise ValueError("too short for one 5-frame window")
    video = torch.from_numpy(np.ascontiguousarray(crops.transpose(3, 0, 1, 2))).float()  # 3,T,H,W
    audio = torch.from_numpy(np.ascontiguousarray(cepstra.T)).float()  # 13, frames
    vs, aus = [], []
    with torch.no_grad():
        for start in range(0, n, batch):
            idx = range(start, min(n, start + batch))
            v = torch.stack([video[:, i : i + 5] for i in idx]).to(device)
            a = torch.stack([audio[None, :, 4 * i : 4 * i + 20] for i in idx]).to(device)
            vs.append(model.lips(v).cpu())
            aus.append(model.audio(a).cpu())
    return torch.cat(vs), torch.cat(aus)


def sync_scores(video: Any, audio: Any, vshift: int = VSHIFT) -> dict[str, Any]:
    """LSE-D, LSE-C and AV offset from the two embedding sequences (torch tensors (N, 1024))."""
    import torch
    import torch.nn.functional as F

    n = len(video)
    padded = F.pad(audio, (0, 0, vshift, vshift))
    shifts = 2 * vshift + 1
    dists = torch.stack(
        [F.pairwise_distance(video[i : i + 1].expand(shifts, -1), padded[i : i + shifts]) for i in range(n)]
    )  # (N, shifts)
    curve = dists.mean(0)
    best = int(torch.argmin(curve))
    lse_d = float(curve[best])
    return {
        "lse_d": lse_d,
        "lse_c": float(torch.median(curve)) - lse_d,
        "av_offset": vshift - best,
        "windows": n,
        "curve": [round(float(c), 4) for c in curve],
    }
