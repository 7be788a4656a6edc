"""LPIPS / FID of thtui/evaluator on a GPU box (or the CPU), with random weights (the released ones are
not needed): a check of the plumbing and, where torchvision is installed, of the state_dict layouts
against torchvision's own AlexNet and Inception3 (the layouts the released checkpoints use).

    python benchmarks/evaluator_perceptual_check.py --ffmpeg FFMPEG [--device cuda] [--python PY]

1. layouts: torchvision's alexnet() state_dict has exactly lpips_alex.alexnet_layout(); its `features`
   load strictly into ours and give the same five tapped activations; inception_v3(aux_logits=False,
   num_classes=1008) has exactly our FID Inception's keys and shapes (pytorch-fid builds it that way);
2. the evaluator's own entry (`thtui_evaluator score --reference ... --random-weights --whole-frame`) on a
   2 s 512 px clip against itself and against a blurred copy, then `fid --features` over both (set level).
Prints one line per step. Run by the torch interpreter itself (no thtui install needed).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "thtui" / "evaluator"
BOOT = (
    "import importlib.util,sys;d=sys.argv[1];s=importlib.util.spec_from_file_location('thtui_evaluator',"
    "d+'/__init__.py',submodule_search_locations=[d]);m=importlib.util.module_from_spec(s);"
    "sys.modules['thtui_evaluator']=m;s.loader.exec_module(m);"
    "from thtui_evaluator.__main__ import main;sys.exit(main(sys.argv[2:]))"
)


def _package() -> None:
    spec = importlib.util.spec_from_file_location(
        "thtui_evaluator", PKG / "__init__.py", submodule_search_locations=[str(PKG)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["thtui_evaluator"] = module
    spec.loader.exec_module(module)


def layouts() -> None:
    import torch

    _package()
    from thtui_evaluator import fid_inception, lpips_alex

    try:
        import torchvision.models as tm
    except Exception as exc:  # noqa: BLE001  (torchvision absent or not loadable with this torch)
        print(f"layouts: skipped, torchvision does not load here ({type(exc).__name__})")
        return
    alex = tm.alexnet(weights=None).eval()
    sd = alex.state_dict()
    same = {k: tuple(v.shape) for k, v in sd.items()} == lpips_alex.alexnet_layout()
    ours = lpips_alex.build_model()
    ours.net.load_state_dict({k: v for k, v in sd.items() if k.startswith("features.")}, strict=True)
    x = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        taps, h, theirs = ours.net(x), x, []
        for i, layer in enumerate(alex.features):
            h = layer(h.clone())
            if i in lpips_alex.TAPS:
                theirs.append(h.clone())
    err = max(float((a - b).abs().max()) for a, b in zip(taps, theirs, strict=True))
    print(
        f"layouts: torchvision alexnet keys/shapes == ours: {same}; tapped activations max |diff| {err:.2e}"
    )
    inc = tm.inception_v3(weights=None, aux_logits=False, num_classes=1008, init_weights=False).state_dict()
    mine = fid_inception.build_model().state_dict()
    equal = set(inc) == set(mine) and all(tuple(inc[k].shape) == tuple(mine[k].shape) for k in mine)
    print(
        f"layouts: torchvision inception_v3(aux_logits=False, 1008) keys/shapes == ours: {equal} ({len(mine)} keys)"
    )


def entry(python: str, ffmpeg: str, device: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clip, blur = f"{tmp}/clip.mp4", f"{tmp}/blur.mp4"
        zoom = "scale=600:600,zoompan=z='1+0.004*on':d=50:s=512x512:fps=25"
        subprocess.run([ffmpeg, "-v", "error", "-y", "-loop", "1", "-i", str(ROOT / "assets/portrait.jpg"),
                        "-i", str(ROOT / "assets/speech.wav"), "-vf", zoom, "-t", "2", "-pix_fmt", "yuv420p",
                        "-ac", "1", "-ar", "16000", clip], check=True)  # fmt: skip
        subprocess.run([ffmpeg, "-v", "error", "-y", "-i", clip, "-vf", "gblur=sigma=3", "-c:a", "copy", blur],
                       check=True)  # fmt: skip
        for name, ref in (("self", clip), ("blurred", blur)):
            t0 = time.monotonic()
            argv = [python, "-c", BOOT, str(PKG), "score", "--video", clip, "--reference", ref, "--whole-frame",
                    "--random-weights", "--device", device, "--ffmpeg", ffmpeg, "--features-out", f"{tmp}/{name}.npz"]  # fmt: skip
            done = subprocess.run(argv, capture_output=True, text=True)
            d = json.loads(done.stdout.strip().splitlines()[-1])
            keys = ("device", "lpips", "lpips_frames", "fid", "fid_frames", "psnr", "ssim")
            print(f"entry vs {name}: exit {done.returncode}, {time.monotonic() - t0:.1f} s,",
                  {k: d.get(k) for k in keys}, "| fvd:", (d.get("missing") or {}).get("fvd", d.get("error")))  # fmt: skip
        done = subprocess.run([python, "-c", BOOT, str(PKG), "fid", "--features", f"{tmp}/self.npz",
                               f"{tmp}/blurred.npz"], capture_output=True, text=True)  # fmt: skip
        print(f"set-level fid: exit {done.returncode}, {done.stdout.strip()}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--ffmpeg", required=True)
    p.add_argument("--device", default="cuda")
    p.add_argument("--python", default=sys.executable)
    args = p.parse_args()
    import torch

    print(f"torch {torch.__version__}, cuda {torch.cuda.is_available()}",
          torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")  # fmt: skip
    layouts()
    entry(args.python, args.ffmpeg, args.device)


if __name__ == "__main__":
    main()
