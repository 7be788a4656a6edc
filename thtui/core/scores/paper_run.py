"""Running the evaluator (thtui/evaluator) inside its env: argv lists only, one JSON object back.

The env has no thtui, so the package is loaded from its folder under the name `thtui_evaluator` by a
few lines of bootstrap (no PYTHONPATH: thtui's own site-packages must not shadow the env's numpy).

    paper_argv(python, video, weights, ...) -> list[str]
    run_paper(argv, timeout) -> PaperRun           never raises for an evaluator failure
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thtui.core.scores.result import DOWN, NEAR_ZERO, UP, MetricInfo

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "evaluator"
# Load thtui/evaluator as the package `thtui_evaluator` from its folder, then run its main(argv).
BOOT = (
    "import importlib.util, sys; d = sys.argv[1]; "
    "s = importlib.util.spec_from_file_location('thtui_evaluator', d + '/__init__.py', "
    "submodule_search_locations=[d]); m = importlib.util.module_from_spec(s); "
    "sys.modules['thtui_evaluator'] = m; s.loader.exec_module(m); "
    "from thtui_evaluator.__main__ import main; sys.exit(main(sys.argv[2:]))"
)
SYNC_SIGN = "SyncNet's sign: audio delayed by d frames gives -d (the opposite of thtui's lip-sync proxy)"

# The keys the store, reports and `--json` use, with the direction of each and how it is measured.
PAPER_METRICS: dict[str, MetricInfo] = {
    "lse_c": MetricInfo(UP, "SyncNet", "LSE-C (Sync-C): median minus minimum of the mean SyncNet distance over shifts -15..+15; longest S3FD face track, 224 px crops, 25 fps"),
    "lse_d": MetricInfo(DOWN, "SyncNet", "LSE-D (Sync-D): minimum over shifts -15..+15 of the mean Euclidean distance of SyncNet embeddings (same track)"),
    "av_offset": MetricInfo(NEAR_ZERO, "frames", f"the shift of LSE-D's minimum; {SYNC_SIGN}"),
    "csim": MetricInfo(UP, "cosine", "CSIM: cosine of ArcFace (buffalo_l w600k_r50) embeddings, portrait vs every 5th frame of the track; faces five-point aligned by SCRFD det_10g when installed, else box-cropped (lower); weights non-commercial"),
    "fid": MetricInfo(DOWN, "FID", "Frechet Inception Distance vs the ground truth: pool3 (2048-d) of pytorch-fid's Inception (pt_inception-2015-12-05), every frame at 25 fps; a set metric: per video (fewer frames than dimensions) it is noisy and biased up, the paper table pools all frames of all cases of a system"),
    "fvd": MetricInfo(DOWN, "FVD", "Frechet Video Distance vs the ground truth, StyleGAN-V protocol: I3D (Kinetics-400, i3d_torchscript.pt) logits of non-overlapping 16-frame clips at 25 fps, uint8 [B,3,16,H,W] rescaled and resized to 224 by the network, covariances over N; a set metric: per video (a few clips) it is very noisy, the paper table pools all clips of all cases of a system"),
    "lpips": MetricInfo(DOWN, "LPIPS", "LPIPS (AlexNet, v0.1 linear layers) vs the ground truth, frame i to frame i at 25 fps over the shorter video, reference scaled to the generated size; mean over frames"),
    "psnr": MetricInfo(UP, "dB", "vs the ground truth, RGB, frame by frame at 25 fps (evaluator)"),
    "ssim": MetricInfo(UP, "0-1", "vs the ground truth, grey SSIM (Gaussian 11, sigma 1.5) (evaluator)"),
    "lmd": MetricInfo(DOWN, "px", "mouth landmark distance vs the ground truth: dlib 68 points 48-67 (thtui's offline pass)"),
}  # fmt: skip
PAPER_KEYS = tuple(PAPER_METRICS)


@dataclass(frozen=True)
class PaperRun:
    ok: bool  # the evaluator ran (a partial result is ok)
    data: dict[str, Any] = field(default_factory=dict)  # its JSON (values, "missing", run facts)
    error: str | None = None  # one line when it did not run
    exit_code: int | None = None
    log_tail: str = ""


def paper_argv(
    python: Path | str,
    video: Path | str,
    weights: Path | str,
    *,
    portrait: Path | str | None = None,
    audio: Path | str | None = None,
    reference: Path | str | None = None,
    device: str = "auto",
    ffmpeg: str = "ffmpeg",
    random_weights: bool = False,
    face_box: str | None = None,
    whole_frame: bool = False,
    features_out: Path | str | None = None,
    i3d_pin: str | None = None,
) -> list[str]:
    argv = [
        str(python),
        "-c",
        BOOT,
        str(PACKAGE_DIR),
        "score",
        "--video",
        str(video),
        "--weights",
        str(weights),
    ]
    for flag, value in (
        ("--portrait", portrait),
        ("--audio", audio),
        ("--reference", reference),
        ("--face-box", face_box),
        ("--features-out", features_out),  # FID/FVD features for the run's set-level values (paper_set.py)
        ("--i3d-pin", i3d_pin),  # the manifest's SIZE:SHA256: the TorchScript I3D loads only if it matches
    ):
        if value is not None:
            argv += [flag, str(value)]
    argv += ["--device", device, "--ffmpeg", ffmpeg]
    argv += ["--whole-frame"] if whole_frame else []
    return argv + (["--random-weights"] if random_weights else [])


def run_paper(
    argv: list[str],
    timeout: float = 1800,
    env: dict[str, str] | None = None,
    cancel: threading.Event | None = None,
) -> PaperRun:
    """Run the evaluator; `cancel` (set by a stopped run) kills it within a fraction of a second."""
    try:
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env or dict(os.environ),
            stdin=subprocess.DEVNULL,
        )
    except OSError as exc:
        return PaperRun(False, error=f"cannot start the evaluator ({argv[0]}): {exc.strerror or exc}")
    deadline = time.monotonic() + timeout
    while True:
        try:
            stdout, stderr = proc.communicate(timeout=0.25)
            break
        except subprocess.TimeoutExpired:
            stopped = cancel is not None and cancel.is_set()
            if stopped or time.monotonic() > deadline:
                proc.kill()
                proc.communicate()
                why = "stopped with the run" if stopped else f"ran past {timeout:.0f} s and was stopped"
                return PaperRun(False, error=f"the evaluator {why}")
    proc = subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)
    tail = proc.stderr[-2000:]
    last = (proc.stdout.strip().splitlines() or [""])[-1]
    try:
        data = json.loads(last)
    except ValueError:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        why = lines[-1] if lines else f"exit code {proc.returncode}, no output"
        return PaperRun(False, error=f"the evaluator failed: {why}", exit_code=proc.returncode, log_tail=tail)
    if proc.returncode != 0 or not isinstance(data, dict) or "error" in data:
        why = data.get("error") if isinstance(data, dict) else last
        return PaperRun(False, error=str(why), exit_code=proc.returncode, log_tail=tail)
    return PaperRun(True, data, exit_code=0, log_tail=tail)
