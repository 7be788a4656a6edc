"""LPIPS, AlexNet variant v0.1 ("alex", Zhang et al. 2018), in plain torch (no torchvision: it does not load
with every torch build this env can get).

Two checkpoints, both plain state_dicts:
- `alexnet-owt-7be5be79.pth` (torchvision's ImageNet AlexNet; 16 keys: `features.{0,3,6,8,10}` convs and
  `classifier.{1,4,6}` linears). LPIPS taps the five ReLUs of `features`, so only those ten tensors are
  kept; the classifier's six are checked for name and shape (a wrong file is refused) but not loaded.
- `alex.pth` of the `lpips` package, weights v0.1 (5 keys `lin{k}.model.1.weight`, one 1x1 conv without
  bias per tapped layer; saved with CUDA storages, hence map_location="cpu").

Distance of two RGB images in [-1, 1]: scale by the fixed per-channel shift/scale, run both through the
AlexNet features, unit-normalise every tapped activation along channels, square the difference, weight
the channels with the 1x1 conv, average over space, sum over the five layers. 0 for equal images.
"""

from __future__ import annotations

from typing import Any

ALEXNET_FILE, LIN_FILE = "alexnet-owt-7be5be79.pth", "lpips_alex_v0.1.pth"
# torchvision names its files <name>-<first 8 hex of the sha256>; no full sha256 is published where thtui
# is developed, so the loader checks this prefix (the manifest can pin only a minimum size).
ALEXNET_SHA256_PREFIX = "7be5be79"

# (index in `features`, in channels, out channels, kernel, stride, padding); ReLU after each, max-pools
# (3, stride 2) at indices 2, 5 (and 12, past the last tap).
CONVS = ((0, 3, 64, 11, 4, 2), (3, 64, 192, 5, 1, 2), (6, 192, 384, 3, 1, 1), (8, 384, 256, 3, 1, 1),
         (10, 256, 256, 3, 1, 1))  # fmt: skip
POOLS = (2, 5)
TAPS = (1, 4, 7, 9, 11)  # the ReLUs whose outputs LPIPS compares
CHANNELS = (64, 192, 384, 256, 256)
CLASSIFIER = {"classifier.1": (4096, 9216), "classifier.4": (4096, 4096), "classifier.6": (1000, 4096)}
# The fixed input scaling of LPIPS (inputs in [-1, 1]).
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)


def alexnet_layout() -> dict[str, tuple[int, ...]]:
    """The 16 keys (and shapes) of the released torchvision AlexNet state_dict."""
    out: dict[str, tuple[int, ...]] = {}
    for i, cin, cout, k, _s, _p in CONVS:
        out[f"features.{i}.weight"], out[f"features.{i}.bias"] = (cout, cin, k, k), (cout,)
    for name, (o, n) in CLASSIFIER.items():
        out[f"{name}.weight"], out[f"{name}.bias"] = (o, n), (o,)
    return out


def lin_layout() -> dict[str, tuple[int, ...]]:
    """The 5 keys of lpips' weights/v0.1/alex.pth."""
    return {f"lin{k}.model.1.weight": (1, c, 1, 1) for k, c in enumerate(CHANNELS)}


def build_model() -> Any:
    import torch
    import torch.nn as nn

    class Features(nn.Module):
        """`features` of torchvision's AlexNet up to the last ReLU (indices 0..11, the same key names)."""

        def __init__(self) -> None:
            super().__init__()
            layers: list[nn.Module] = []
            convs = {c[0]: c for c in CONVS}
            for i in range(12):
                if i in convs:
                    _, cin, cout, k, s, p = convs[i]
                    layers.append(nn.Conv2d(cin, cout, k, s, p))
                elif i in POOLS:
                    layers.append(nn.MaxPool2d(3, 2))
                else:
                    layers.append(nn.ReLU())
            self.features = nn.Sequential(*layers)

        def forward(self, x: Any) -> list[Any]:
            taps = []
            for i, layer in enumerate(self.features):
                x = layer(x)
                if i in TAPS:
                    taps.append(x)
            return taps

    class Lin(nn.Module):
        def __init__(self, channels: int) -> None:
            super().__init__()
            # Dropout at index 0 (inactive in eval) keeps the conv at key `model.1`, as released.
            self.model = nn.Sequential(nn.Dropout(), nn.Conv2d(channels, 1, 1, 1, 0, bias=False))

    class LPIPS(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = Features()
            self.lins = nn.ModuleList(Lin(c) for c in CHANNELS)
            self.register_buffer("shift", torch.tensor(SHIFT).view(1, 3, 1, 1), persistent=False)
            self.register_buffer("scale", torch.tensor(SCALE).view(1, 3, 1, 1), persistent=False)

        def lin_state_dict(self) -> dict[str, Any]:
            return {f"lin{k}.{n}": v for k, lin in enumerate(self.lins) for n, v in lin.state_dict().items()}

        def forward(self, a: Any, b: Any) -> Any:
            """a, b: N x 3 x H x W in [-1, 1] -> N distances."""
            fa = self.net((a - self.shift) / self.scale)
            fb = self.net((b - self.shift) / self.scale)
            total = 0
            for lin, x, y in zip(self.lins, fa, fb, strict=True):
                x = x / (torch.sqrt((x * x).sum(1, keepdim=True)) + 1e-10)
                y = y / (torch.sqrt((y * y).sum(1, keepdim=True)) + 1e-10)
                total = total + lin.model((x - y) ** 2).mean((2, 3))
            return total.view(-1)

    return LPIPS().eval()


def _checked(sd: dict[str, Any], layout: dict[str, tuple[int, ...]], what: str) -> None:
    """Strict: the same keys and shapes as the reference layout, or a one-line error naming the difference."""
    missing, extra = sorted(set(layout) - set(sd)), sorted(set(sd) - set(layout))
    if missing or extra:
        raise ValueError(f"{what}: not the reference layout (missing {missing[:3]}, unexpected {extra[:3]})")
    for k, shape in layout.items():
        if tuple(sd[k].shape) != shape:
            raise ValueError(f"{what}: {k} has shape {tuple(sd[k].shape)}, expected {shape}")


def sha256_prefix(path: str) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[: len(ALEXNET_SHA256_PREFIX)]


def load_model(alexnet: str | None, lin: str | None, device: str, check_prefix: bool = True) -> Any:
    """Both checkpoints, loaded strictly; None for either leaves that part random (plumbing checks)."""
    import torch

    model = build_model()
    if alexnet is not None:
        if check_prefix and (got := sha256_prefix(alexnet)) != ALEXNET_SHA256_PREFIX:
            raise ValueError(
                f"{alexnet}: sha256 starts {got}, expected {ALEXNET_SHA256_PREFIX} (a bad download)"
            )
        sd = torch.load(alexnet, map_location="cpu", weights_only=True)
        _checked(sd, alexnet_layout(), alexnet)
        model.net.load_state_dict({k: v for k, v in sd.items() if k.startswith("features.")}, strict=True)
    if lin is None:  # random linear weights made non-negative, as the released ones are (LPIPS >= 0)
        for module in model.lins:
            module.model[1].weight.data.abs_()
    else:
        sd = torch.load(lin, map_location="cpu", weights_only=True)
        _checked(sd, lin_layout(), lin)
        for k, module in enumerate(model.lins):
            module.load_state_dict({"model.1.weight": sd[f"lin{k}.model.1.weight"]}, strict=True)
    return model.to(device)


def to_tensor(frames: list[Any], device: str) -> Any:
    """RGB uint8 H x W x 3 frames -> N x 3 x H x W in [-1, 1] (LPIPS' input range)."""
    import numpy as np
    import torch

    x = torch.from_numpy(np.stack(frames)).to(device).permute(0, 3, 1, 2).float()
    return x / 127.5 - 1.0


def distances(model: Any, generated: list[Any], reference: list[Any], device: str) -> list[float]:
    import torch

    with torch.no_grad():
        d = model(to_tensor(generated, device), to_tensor(reference, device))
    return [float(v) for v in d.cpu()]
