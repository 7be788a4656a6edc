"""The "FID Inception" network of pytorch-fid (`pt_inception-2015-12-05-6726825d.pth`: TensorFlow's 2015
Inception-v3 ported to torch) in plain torch, with the state_dict keys of that file (torchvision's
Inception3 names, 1008-class `fc`, no AuxLogits), loaded strictly; and its pool3 features (2048-d).

How the FID variant differs from torchvision's Inception-v3 (what TF's graph computed): the average pools
of the A, C and first E blocks leave padding out of the mean (count_include_pad=False), and the last E
block (Mixed_7c) pools its branch with a 3x3 max-pool instead. BatchNorm eps 0.001.

Input: RGB frames scaled to [0, 1], resized bilinearly to 299 x 299 (align_corners=False), then to
[-1, 1]; output: the global average of Mixed_7c (pool3), 2048 values per frame.
"""

from __future__ import annotations

from typing import Any

FILE = "pt_inception-2015-12-05-6726825d.pth"
SIZE = 299
DIMS = 2048


def build_model() -> Any:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Conv(nn.Module):
        """conv (no bias) -> BN (eps 0.001) -> ReLU: keys `conv.weight`, `bn.*`."""

        def __init__(self, cin: int, cout: int, k: Any, s: int = 1, p: Any = 0) -> None:
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, k, s, p, bias=False)
            self.bn = nn.BatchNorm2d(cout, eps=0.001)

        def forward(self, x: Any) -> Any:
            return F.relu(self.bn(self.conv(x)))

    def avg(x: Any) -> Any:
        return F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)

    class A(nn.Module):
        def __init__(self, cin: int, pool: int) -> None:
            super().__init__()
            self.branch1x1 = Conv(cin, 64, 1)
            self.branch5x5_1, self.branch5x5_2 = Conv(cin, 48, 1), Conv(48, 64, 5, p=2)
            self.branch3x3dbl_1 = Conv(cin, 64, 1)
            self.branch3x3dbl_2, self.branch3x3dbl_3 = Conv(64, 96, 3, p=1), Conv(96, 96, 3, p=1)
            self.branch_pool = Conv(cin, pool, 1)

        def forward(self, x: Any) -> Any:
            b5 = self.branch5x5_2(self.branch5x5_1(x))
            b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
            return torch.cat([self.branch1x1(x), b5, b3, self.branch_pool(avg(x))], 1)

    class B(nn.Module):
        def __init__(self, cin: int) -> None:
            super().__init__()
            self.branch3x3 = Conv(cin, 384, 3, s=2)
            self.branch3x3dbl_1 = Conv(cin, 64, 1)
            self.branch3x3dbl_2, self.branch3x3dbl_3 = Conv(64, 96, 3, p=1), Conv(96, 96, 3, s=2)

        def forward(self, x: Any) -> Any:
            b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
            return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, 3, 2)], 1)

    class C(nn.Module):
        def __init__(self, cin: int, c7: int) -> None:
            super().__init__()
            row, col = {"k": (1, 7), "p": (0, 3)}, {"k": (7, 1), "p": (3, 0)}  # the 1x7 and 7x1 convs
            self.branch1x1 = Conv(cin, 192, 1)
            self.branch7x7_1 = Conv(cin, c7, 1)
            self.branch7x7_2, self.branch7x7_3 = Conv(c7, c7, **row), Conv(c7, 192, **col)
            self.branch7x7dbl_1 = Conv(cin, c7, 1)
            self.branch7x7dbl_2, self.branch7x7dbl_3 = Conv(c7, c7, **col), Conv(c7, c7, **row)
            self.branch7x7dbl_4, self.branch7x7dbl_5 = Conv(c7, c7, **col), Conv(c7, 192, **row)
            self.branch_pool = Conv(cin, 192, 1)

        def forward(self, x: Any) -> Any:
            b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
            d = x
            for i in range(1, 6):
                d = getattr(self, f"branch7x7dbl_{i}")(d)
            return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(avg(x))], 1)

    class D(nn.Module):
        def __init__(self, cin: int) -> None:
            super().__init__()
            self.branch3x3_1, self.branch3x3_2 = Conv(cin, 192, 1), Conv(192, 320, 3, s=2)
            self.branch7x7x3_1 = Conv(cin, 192, 1)
            self.branch7x7x3_2 = Conv(192, 192, (1, 7), p=(0, 3))
            self.branch7x7x3_3 = Conv(192, 192, (7, 1), p=(3, 0))
            self.branch7x7x3_4 = Conv(192, 192, 3, s=2)

        def forward(self, x: Any) -> Any:
            b3 = self.branch3x3_2(self.branch3x3_1(x))
            b7 = x
            for i in range(1, 5):
                b7 = getattr(self, f"branch7x7x3_{i}")(b7)
            return torch.cat([b3, b7, F.max_pool2d(x, 3, 2)], 1)

    class E(nn.Module):
        def __init__(self, cin: int, max_pool: bool) -> None:
            super().__init__()
            self.max_pool = max_pool  # Mixed_7c of the TF graph max-pools its pool branch
            self.branch1x1 = Conv(cin, 320, 1)
            self.branch3x3_1 = Conv(cin, 384, 1)
            self.branch3x3_2a, self.branch3x3_2b = (
                Conv(384, 384, (1, 3), p=(0, 1)),
                Conv(384, 384, (3, 1), p=(1, 0)),
            )
            self.branch3x3dbl_1, self.branch3x3dbl_2 = Conv(cin, 448, 1), Conv(448, 384, 3, p=1)
            self.branch3x3dbl_3a = Conv(384, 384, (1, 3), p=(0, 1))
            self.branch3x3dbl_3b = Conv(384, 384, (3, 1), p=(1, 0))
            self.branch_pool = Conv(cin, 192, 1)

        def forward(self, x: Any) -> Any:
            s = self.branch3x3_1(x)
            b3 = torch.cat([self.branch3x3_2a(s), self.branch3x3_2b(s)], 1)
            d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
            bd = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
            pooled = F.max_pool2d(x, 3, 1, 1) if self.max_pool else avg(x)
            return torch.cat([self.branch1x1(x), b3, bd, self.branch_pool(pooled)], 1)

    class FIDInception(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.Conv2d_1a_3x3 = Conv(3, 32, 3, s=2)
            self.Conv2d_2a_3x3 = Conv(32, 32, 3)
            self.Conv2d_2b_3x3 = Conv(32, 64, 3, p=1)
            self.Conv2d_3b_1x1 = Conv(64, 80, 1)
            self.Conv2d_4a_3x3 = Conv(80, 192, 3)
            self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = A(192, 32), A(256, 64), A(288, 64)
            self.Mixed_6a = B(288)
            self.Mixed_6b, self.Mixed_6c = C(768, 128), C(768, 160)
            self.Mixed_6d, self.Mixed_6e = C(768, 160), C(768, 192)
            self.Mixed_7a = D(768)
            self.Mixed_7b, self.Mixed_7c = E(1280, False), E(2048, True)
            self.fc = nn.Linear(2048, 1008)  # in the checkpoint (strict load); pool3 does not use it

        def forward(self, x: Any) -> Any:
            """N x 3 x H x W in [0, 1] -> N x 2048 pool3 features."""
            x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=False) * 2 - 1
            for name in ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3"):
                x = getattr(self, name)(x)
            x = F.max_pool2d(x, 3, 2)
            x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), 3, 2)
            for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
                x = getattr(self, f"Mixed_{name}")(x)
            return F.adaptive_avg_pool2d(x, 1).flatten(1)

    return FIDInception().eval()


def load_model(path: str | None, device: str) -> Any:
    """The FID Inception with the released weights (strict: a missing or extra key is refused); None
    leaves it random (plumbing checks)."""
    import torch

    model = build_model()
    if path is not None:
        model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    else:  # torch's default init shrinks activations ~3x per conv: after 94 of them pool3 would be ~0
        for m in model.modules():
            if isinstance(m, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    return model.to(device)


def features(model: Any, frames: list[Any], device: str) -> Any:
    """RGB uint8 H x W x 3 frames -> N x 2048 float64 numpy array."""
    import numpy as np
    import torch

    x = torch.from_numpy(np.stack(frames)).to(device).permute(0, 3, 1, 2).float() / 255.0
    with torch.no_grad():
        return model(x).double().cpu().numpy()
