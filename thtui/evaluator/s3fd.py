"""S3FD face detector (Zhang et al. 2017) in the layout of the `sfd_face.pth` state_dict the SyncNet
pipeline uses: a VGG16 trunk (`vgg.N`, N = the layer's position, pools and ReLUs included), L2-normalised
taps (`L2Norm3_3/4_3/5_3.weight`), `extras.0-3`, and six `loc`/`conf` heads (the first conf head max-outs
three background channels). Anchors: one square prior per cell, strides 4..128, sides 16..512, offsets
decoded with variances 0.1/0.2.

How the standard pipeline calls it: RGB frames scaled by 0.25, channel means (123, 117, 104) subtracted,
faces kept at confidence > 0.9, overlapping boxes suppressed at IoU 0.1. Boxes come back in the
coordinates of the full-size frame.
"""

from __future__ import annotations

from typing import Any

STEPS = (4, 8, 16, 32, 64, 128)
MEAN_RGB = (123.0, 117.0, 104.0)
# VGG trunk: ("c", in, out, pad, dilation) | ("p", ceil_mode); each "c" is followed by a ReLU.
TRUNK = [
    ("c", 3, 64), ("c", 64, 64), ("p", False),
    ("c", 64, 128), ("c", 128, 128), ("p", False),
    ("c", 128, 256), ("c", 256, 256), ("c", 256, 256), ("p", True),
    ("c", 256, 512), ("c", 512, 512), ("c", 512, 512), ("p", False),
    ("c", 512, 512), ("c", 512, 512), ("c", 512, 512), ("p", False),
]  # fmt: skip
TAPS = {16: "L2Norm3_3", 23: "L2Norm4_3", 30: "L2Norm5_3"}  # trunk positions whose input is tapped
SOURCES = (256, 512, 512, 1024, 512, 256)


def build_model() -> Any:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class L2Norm(nn.Module):
        def __init__(self, channels: int, scale: float) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.full((channels,), float(scale)))

        def forward(self, x: Any) -> Any:
            return self.weight[None, :, None, None] * x / (x.pow(2).sum(1, keepdim=True).sqrt() + 1e-10)

    class S3FD(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers: list[nn.Module] = []
            for kind, *a in TRUNK:
                if kind == "c":
                    layers += [nn.Conv2d(a[0], a[1], 3, 1, padding=1), nn.ReLU()]
                else:
                    layers.append(nn.MaxPool2d(2, 2, ceil_mode=a[0]))
            layers += [nn.Conv2d(512, 1024, 3, 1, padding=6, dilation=6), nn.ReLU()]
            layers += [nn.Conv2d(1024, 1024, 1, 1), nn.ReLU()]
            self.vgg = nn.ModuleList(layers)
            self.L2Norm3_3, self.L2Norm4_3, self.L2Norm5_3 = L2Norm(256, 10), L2Norm(512, 8), L2Norm(512, 5)
            self.extras = nn.ModuleList(
                [nn.Conv2d(1024, 256, 1, 1), nn.Conv2d(256, 512, 3, 2, padding=1),
                 nn.Conv2d(512, 128, 1, 1), nn.Conv2d(128, 256, 3, 2, padding=1)]
            )  # fmt: skip
            self.loc = nn.ModuleList([nn.Conv2d(c, 4, 3, 1, padding=1) for c in SOURCES])
            self.conf = nn.ModuleList(
                [nn.Conv2d(c, 4 if i == 0 else 2, 3, 1, padding=1) for i, c in enumerate(SOURCES)]
            )

        def forward(self, x: Any) -> tuple[Any, Any, list[tuple[int, int]]]:
            sources = []
            for i, layer in enumerate(self.vgg):
                if i in TAPS:
                    sources.append(getattr(self, TAPS[i])(x))
                x = layer(x)
            sources.append(x)
            for k, conv in enumerate(self.extras):
                x = F.relu(conv(x))
                if k % 2 == 1:
                    sources.append(x)
            locs, confs, shapes = [], [], []
            for i, src in enumerate(sources):
                c = self.conf[i](src)
                if i == 0:  # max-out background: three background maps, one face map
                    c = torch.cat([c[:, :3].max(1, keepdim=True).values, c[:, 3:]], 1)
                locs.append(self.loc[i](src).permute(0, 2, 3, 1).reshape(x.shape[0], -1, 4))
                confs.append(c.permute(0, 2, 3, 1).reshape(x.shape[0], -1, 2))
                shapes.append((src.shape[2], src.shape[3]))
            return torch.cat(locs, 1), torch.cat(confs, 1), shapes

    return S3FD().eval()


def load_model(path: str | None, device: str) -> Any:
    import torch

    if path is None:
        torch.manual_seed(1)
        return build_model().to(device)
    model = build_model()
    try:
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    except RuntimeError as exc:  # one line naming the keys, not torch's multi-line dump
        raise ValueError(
            f"{path}: not the S3FD layout: {' '.join(str(exc).split(':', 1)[-1].split())[:400]}"
        ) from None
    return model.to(device)


def priors(shapes: list[tuple[int, int]], height: int, width: int) -> Any:
    """(P, 4) priors as normalised (cx, cy, w, h), in the order the heads are flattened."""
    import numpy as np

    out = []
    for (fh, fw), step in zip(shapes, STEPS, strict=True):
        ii, jj = np.meshgrid(np.arange(fh), np.arange(fw), indexing="ij")
        cx = (jj.ravel() + 0.5) * step / width
        cy = (ii.ravel() + 0.5) * step / height
        side = np.full(cx.shape, 4.0 * step)  # min size = 4 x stride (16 .. 512)
        out.append(np.stack([cx, cy, side / width, side / height], 1))
    return np.concatenate(out).astype(np.float32)


def nms(boxes: Any, scores: Any, iou: float) -> list[int]:
    import numpy as np

    order = np.argsort(-scores)
    keep: list[int] = []
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    while order.size:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.clip(
            np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0]), 0, None
        )
        h = np.clip(
            np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1]), 0, None
        )
        inter = w * h
        order = rest[inter / (area[i] + area[rest] - inter) <= iou]
    return keep


def detect(model: Any, rgb: Any, device: str, scale: float = 0.25, threshold: float = 0.9) -> Any:
    """Faces in one RGB uint8 frame: (n, 5) rows x1, y1, x2, y2, score in full-frame pixels."""
    import cv2
    import numpy as np
    import torch

    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (0, 0), fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR).astype(np.float32)
    small -= np.array(MEAN_RGB, np.float32)
    x = torch.from_numpy(small.transpose(2, 0, 1).copy())[None].to(device)
    with torch.no_grad():
        loc, conf, shapes = model(x)
    score = torch.softmax(conf[0], -1)[:, 1].cpu().numpy()
    # Two stages, as the pipeline runs them (one NMS at 0.1 is not the same: a box suppressed at 0.3 by a
    # box that the 0.1 pass later drops would survive): candidates > 0.05, the best 5000, NMS at IoU 0.3,
    # at most 750 kept; then those above `threshold`, NMS at IoU 0.1.
    cand = np.flatnonzero(score > 0.05)
    cand = cand[np.argsort(-score[cand], kind="stable")][:5000]
    if cand.size == 0:
        return np.zeros((0, 5), np.float32)
    pri = priors(shapes, small.shape[0], small.shape[1])[cand]
    d = loc[0].cpu().numpy()[cand]
    centre = pri[:, :2] + d[:, :2] * 0.1 * pri[:, 2:]
    size = pri[:, 2:] * np.exp(d[:, 2:] * 0.2)
    boxes = np.concatenate([centre - size / 2, centre + size / 2], 1)
    s = score[cand]
    first = nms(boxes, s, 0.3)[:750]
    boxes, s = boxes[first] * np.array([w, h, w, h], np.float32), s[first]
    above = s > threshold
    boxes, s = boxes[above], s[above]
    idx = nms(boxes, s, 0.1)
    return np.concatenate([boxes[idx], s[idx, None]], 1).astype(np.float32)
