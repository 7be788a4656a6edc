"""`python -m thtui_evaluator score --video V --weights DIR [...]` inside the evaluator env: one JSON object
on stdout (every score present or absent with a reason), progress lines on stderr. Exit 0 when it ran
(a partial result too), 2 for an unusable input, 3 for a missing weight or package.

Also `keys --weights DIR`: load the checkpoints strictly and print their key counts (a setup check).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from . import EVALUATOR_VERSION
from .media import MediaError

SYNCNET, S3FD, ARCFACE, SCRFD = "syncnet_v2.model", "sfd_face.pth", "w600k_r50.onnx", "det_10g.onnx"
SCORES = ("lse_c", "lse_d", "av_offset", "csim", "fid", "fvd", "lpips", "psnr", "ssim", "lmd")


class Unusable(Exception):
    pass


def _device(wanted: str) -> str:
    import torch

    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if wanted == "cuda" and not torch.cuda.is_available():
        raise Unusable("--device cuda: torch sees no CUDA GPU")
    return wanted


def _weight(args: argparse.Namespace, name: str) -> str | None:
    if args.random_weights:
        return None
    path = os.path.join(args.weights, name)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"weight missing: {path} (run `thtui setup evaluator`)")
    return path


def _optional(args: argparse.Namespace, name: str) -> str | None:
    """An optional weight (ArcFace, SCRFD: non-commercial licence) from --weights, random-weights or not."""
    path = os.path.join(args.weights, name)
    return path if os.path.isfile(path) else None


def _log(text: str) -> None:
    print(f"[evaluator] {text}", file=sys.stderr, flush=True)


def _detect_all(
    model: Any, ffmpeg: str, video: str, device: str, first_only: bool
) -> tuple[list[Any], tuple[int, int]]:
    """S3FD on every frame; with `first_only` (a fixed --face-box) on the first frame only, as a check
    that the detector runs, the other frames counted but not detected."""
    import numpy as np

    from . import media, s3fd

    size = media.frame_size(ffmpeg, video)
    dets = []
    for i, f in enumerate(media.frames(ffmpeg, video, size)):
        dets.append(
            s3fd.detect(model, f, device) if i == 0 or not first_only else np.zeros((0, 5), np.float32)
        )
    return dets, size


def _crops_and_faces(
    ffmpeg: str, video: str, size: tuple[int, int], track: Any, every: int, cutter: Any | None
) -> tuple[Any, list[Any]]:
    """SyncNet crops of the track's frames, and 112 px ArcFace faces of every `every`-th of them."""
    import numpy as np

    from . import media, tracks

    plan = tracks.crop_plan(track)
    end = track.start + len(track)
    crops, faces = [], []
    for f, rgb in enumerate(media.frames(ffmpeg, video, size)):
        if f < track.start:
            continue
        if f >= end:
            break
        s, cx, cy = plan[f - track.start]
        crops.append(tracks.crop(rgb, s, cx, cy))
        if cutter is not None and (f - track.start) % every == 0:
            faces.append(cutter(rgb, track.boxes[f - track.start]))
    return np.stack(crops), faces


def score(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from . import media, mfcc, refscores, syncnet

    t0 = time.monotonic()
    pin = _i3d_pin(args)
    device = _device(args.device)
    out: dict[str, Any] = {k: None for k in SCORES}
    missing: dict[str, str] = {"lmd": "needs facial landmarks: thtui fills it from its own dlib pass"}
    info: dict[str, Any] = {"evaluator_version": EVALUATOR_VERSION, "device": device,
                            "weights": "random (a plumbing check: the numbers mean nothing)" if args.random_weights else "released"}  # fmt: skip
    cutter = _cutter(args, device, missing)
    if args.whole_frame:
        crops, faces, first, detector, size = _whole_frames(args, info, missing)
    else:
        crops, faces, first, detector, size = _tracked_crops(args, device, info, missing, cutter)
    if crops is not None and not args.no_roundtrip:
        crops = _roundtrip(args, crops, info)
    if crops is not None:
        samples = media.audio(args.ffmpeg, args.audio or args.video)
        samples = samples[first * 640 : (first + len(crops)) * 640]
        if min(len(samples) // 640, len(crops)) < 6:
            for k in ("lse_c", "lse_d", "av_offset"):
                missing[k] = "under 6 frames of face and audio together: no 5-frame window to compare"
        else:
            net = syncnet.load_model(_weight(args, SYNCNET), device)
            _log(f"SyncNet on {device}: {len(crops)} crops, {len(samples) / 16000:.1f} s of audio")
            v, a = syncnet.embed(net, crops, mfcc.mfcc(samples), len(samples), device)
            sync = syncnet.sync_scores(v, a)
            out.update(lse_c=sync["lse_c"], lse_d=sync["lse_d"], av_offset=sync["av_offset"])
            info["sync_curve"], info["windows"] = sync["curve"], sync["windows"]
        if detector is not None and cutter is not None:
            out["csim"] = _csim(args, detector, device, faces, cutter, missing)
            info["csim_faces"] = cutter.how()
    if args.reference:
        from . import perceptual

        nets, absent, methods = perceptual.open_models(args.weights, args.random_weights, device, pin)
        missing.update(absent)
        info.update(methods)
        _log(f"PSNR/SSIM/LPIPS/FID/FVD against {args.reference} on {device}")
        ref = refscores.compare(
            media.frames(args.ffmpeg, args.video, size),
            media.frames(args.ffmpeg, args.reference, size),
            each=nets.add,
        )
        out.update(psnr=ref["psnr"], ssim=ref["ssim"])
        info["reference_frames"] = ref["frames"]
        if ref["frames"] == 0:
            for k in ("psnr", "ssim", "lpips", "fid", "fvd"):
                missing.setdefault(k, "the reference video gave no frames")
        found, why = nets.result(args.features_out)
        out.update(lpips=found.pop("lpips"), fid=found.pop("fid"), fvd=found.pop("fvd"))
        info.update(found)
        missing.update({k: v for k, v in why.items() if k not in missing})
    else:
        for k in ("fid", "fvd", "lpips", "psnr", "ssim", "lmd"):
            missing[k] = "needs a ground-truth video (--reference)"
    info["seconds"] = round(time.monotonic() - t0, 2)
    nan = [k for k, v in out.items() if isinstance(v, float) and not np.isfinite(v)]
    for k in nan:
        out[k], missing[k] = None, "not a finite number"
    return {**out, "missing": {k: v for k, v in missing.items() if out.get(k) is None}, **info}


def _i3d_pin(args: argparse.Namespace) -> tuple[int, str] | None:
    """--i3d-pin SIZE:SHA256 (checked before torch starts: a bad pin is a usage error, exit 2)."""
    from .fvd import parse_pin

    try:
        return parse_pin(args.i3d_pin) if args.i3d_pin else None
    except ValueError as exc:
        raise Unusable(str(exc)) from None


def _roundtrip(args: argparse.Namespace, crops: Any, info: dict) -> Any:
    """Crops through the lossy steps of syncnet_python: XVID AVI (the face track's file; not for
    --whole-frame, whose input already is that file), then ffmpeg JPEG extraction."""
    import tempfile

    from . import media

    if args.ffmpeg == "none":
        info["roundtrip"] = "none: no ffmpeg (crops used as decoded)"
        return crops
    with tempfile.TemporaryDirectory(prefix="thtui-eval-") as tmp:
        source = args.video
        if not args.whole_frame:
            source = f"{tmp}/track.avi"
            if not media.xvid(crops, source):
                info["roundtrip"] = "none: this OpenCV cannot write XVID (crops used as decoded)"
                return crops
        back = media.jpeg_roundtrip(args.ffmpeg, source, tmp)
    if len(back) == 0:
        info["roundtrip"] = "none: the JPEG extraction gave no frames (crops used as decoded)"
        return crops
    info["roundtrip"] = "JPEG" if args.whole_frame else "XVID AVI, then JPEG"
    if back.shape[1:3] != (224, 224):  # --whole-frame on a video that is not 224 px: resize as before
        import cv2
        import numpy as np

        back = np.stack([cv2.resize(b, (224, 224)) for b in back])
    return back[: len(crops)]


def _whole_frames(args: argparse.Namespace, info: dict, missing: dict) -> tuple:
    """demo_syncnet.py's form: the video already is the face crop (its example.avi is 224x224), so every
    frame is used as it is (resized to 224 px only when it is not), from frame 0, without S3FD."""
    import cv2
    import numpy as np

    from . import media

    size = media.frame_size(args.ffmpeg, args.video)
    crops = [
        np.ascontiguousarray(f[:, :, ::-1])
        if f.shape[:2] == (224, 224)
        else cv2.resize(f[:, :, ::-1], (224, 224))
        for f in media.frames(args.ffmpeg, args.video, size)
    ]
    if not crops:
        raise Unusable(f"{args.video}: no frames decoded")
    info.update(
        frames=len(crops),
        size=list(size),
        track_source="--whole-frame: every frame is the face crop (no S3FD)",
    )
    missing["csim"] = "--whole-frame: no face boxes for ArcFace"
    return np.stack(crops), [], 0, None, size


def _cutter(args: argparse.Namespace, device: str, missing: dict) -> Any | None:
    """What cuts ArcFace's faces, when CSIM can be computed at all (else its reason in `missing`)."""
    from . import identity

    if not args.portrait:
        missing["csim"] = "needs the source portrait (--portrait)"
        return None
    if _optional(args, ARCFACE) is None:
        missing["csim"] = f"ArcFace weights not installed ({ARCFACE} is optional: non-commercial licence)"
        return None
    det = _optional(args, SCRFD)
    return identity.FaceCutter(identity.session(det, device) if det else None)


def _tracked_crops(args: argparse.Namespace, device: str, info: dict, missing: dict, cutter: Any) -> tuple:
    """The standard pipeline: S3FD on every frame, the longest face track, its 224 px crops."""
    import numpy as np

    from . import s3fd, tracks

    t0 = time.monotonic()
    detector = s3fd.load_model(_weight(args, S3FD), device)
    _log(f"S3FD on {device}: detecting faces at 25 fps")
    dets, size = _detect_all(detector, args.ffmpeg, args.video, device, bool(args.face_box))
    if not dets:
        raise Unusable(f"{args.video}: no frames decoded")
    min_track = min(tracks.MIN_TRACK, max(5, len(dets) // 2))
    if args.face_box:  # a check aid: one fixed box over every frame instead of S3FD's tracks
        box = _box(args.face_box)
        found = [tracks.Track(np.arange(len(dets)), np.tile(box, (len(dets), 1)))]
        info["track_source"] = (
            f"fixed --face-box {args.face_box} (S3FD ran on frame 0 only: {len(dets[0])} faces)"
        )
    else:
        found = tracks.build_tracks(dets, min_track)
    info.update(frames=len(dets), size=list(size), min_track=min_track, tracks=[[t.start, len(t)] for t in found],
                detect_s=round(time.monotonic() - t0, 2))  # fmt: skip
    if not found:
        why = f"no face track: needs > {min_track} frames with a face of > {tracks.MIN_FACE} px (S3FD, conf > 0.9)"
        for k in ("lse_c", "lse_d", "av_offset", "csim"):
            missing[k] = why
        return None, [], 0, None, size
    crops, faces = _crops_and_faces(args.ffmpeg, args.video, size, found[0], 5, cutter)
    return crops, faces, found[0].start, detector, size


def _box(text: str) -> Any:
    import numpy as np

    try:
        box = np.array([float(v) for v in text.split(",")])
    except ValueError:
        box = np.zeros(0)
    if box.shape != (4,) or box[2] <= box[0] or box[3] <= box[1]:
        raise Unusable(f"--face-box {text!r}: expected X1,Y1,X2,Y2 with X2 > X1 and Y2 > Y1")
    return box


def _csim(
    args: argparse.Namespace, detector: Any, device: str, faces: list[Any], cutter: Any, missing: dict
) -> float | None:
    import cv2

    from . import identity, s3fd

    bgr = cv2.imread(args.portrait)
    if bgr is None:
        raise Unusable(f"{args.portrait}: not a picture")
    rgb = bgr[:, :, ::-1].copy()
    boxes = s3fd.detect(detector, rgb, device, scale=0.25 if max(rgb.shape[:2]) >= 1024 else 0.5)
    face = cutter.portrait(rgb, boxes)
    if face is None:
        missing["csim"] = "no face found in the portrait"
        return None
    if not faces:
        missing["csim"] = "no face crops from the video"
        return None
    return identity.csim(identity.session(_optional(args, ARCFACE) or "", device), face, faces)


def keys(args: argparse.Namespace) -> dict[str, Any]:
    from . import s3fd, syncnet

    out = {}
    for name, module in ((SYNCNET, syncnet), (S3FD, s3fd)):
        model = module.load_model(_weight(args, name), "cpu")
        out[name] = len(model.state_dict())
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="thtui_evaluator")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("score")
    s.add_argument("--video", required=True)
    s.add_argument("--portrait")
    s.add_argument("--audio")
    s.add_argument("--reference")
    s.add_argument("--whole-frame", action="store_true", help="the video is already the face crop (no S3FD)")
    s.add_argument("--no-roundtrip", action="store_true", help="skip the XVID/JPEG steps of the reference")
    s.add_argument(
        "--face-box", metavar="X1,Y1,X2,Y2", help="a fixed face box instead of S3FD tracks (checks)"
    )
    s.add_argument("--features-out", help="save the FID and FVD features (generated, reference) to this .npz")
    s.add_argument("--i3d-pin", metavar="SIZE:SHA256", help="the I3D file's pinned size and sha256 (FVD)")
    k = sub.add_parser("keys")
    f = sub.add_parser("fid", help="set-level FID and FVD over several jobs' --features-out files")
    f.add_argument("--features", nargs="+", required=True)
    for q in (s, k):
        q.add_argument("--weights", default=".")
        q.add_argument("--random-weights", action="store_true")
        q.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
        q.add_argument("--ffmpeg", default="ffmpeg")
    args = p.parse_args(argv)
    try:
        if args.cmd == "fid":
            from .perceptual import set_scores

            result = set_scores(args.features)  # neither FID nor FVD: Unusable (exit 2)
        else:
            result = score(args) if args.cmd == "score" else keys(args)
        code = 0
    except (Unusable, MediaError) as exc:  # the input cannot be used
        result, code = {"error": str(exc)}, 2
    except (FileNotFoundError, ImportError) as exc:
        result, code = {"error": str(exc)}, 3
    except Exception as exc:  # one line for thtui (the traceback still goes to stderr, thtui's log)
        import traceback

        traceback.print_exc()
        result, code = {"error": f"{type(exc).__name__}: {exc}".splitlines()[0]}, 1
    print(json.dumps(result), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
