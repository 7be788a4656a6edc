"""Run an upstream entry's `--help` on a machine with no NVIDIA driver, when only import-time GPU probes stand
in the way (a diagnostic for the recipe check, never used by thtui itself).

xfuser >= 0.4 (SoulX-FlashHead, InfiniteTalk) picks its NCCL backend and checks the GPU name at import, xformers
asks the compute capability, and LiveAvatar's t5.py calls torch.cuda.current_device() in a default argument.
This answers those probes as one H100 would and runs SCRIPT as __main__; anything that really touches a device
still fails. Set TORCH_CUDA_ARCH_LIST (e.g. 9.0) for packages that read the arch list at import.

    ENV_PYTHON benchmarks/gpu_probe_shim.py path/to/entry.py --help
"""

from __future__ import annotations

import os
import runpy
import sys


def fake_one_gpu() -> None:
    import torch

    torch.cuda.is_available = lambda: True
    torch.cuda.current_device = lambda: 0
    torch.cuda.device_count = lambda: 1
    torch.cuda.get_device_capability = lambda *a, **k: (9, 0)
    torch.cuda.get_device_name = lambda *a, **k: "NVIDIA H100 (import-probe shim)"


if __name__ == "__main__":
    fake_one_gpu()
    script, *rest = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    sys.argv = [script, *rest]
    runpy.run_path(script, run_name="__main__")
