"""LPIPS, FID and FVD against a ground truth, fed frame pairs by the same pass as PSNR/SSIM (25 fps, frame i of
the generated video against frame i of the reference scaled to its size, over the shorter of the two).

- LPIPS (AlexNet v0.1): per frame pair at the frames' own resolution; the mean is reported (and the
  per-frame values' count).
- FID: pool3 features of every generated frame and every reference frame; this job's FID compares the
  two sets. FID is a set metric: over one clip's few hundred frames (fewer than its 2048 dimensions) it
  is noisy and biased upward, so the run-level value (all frames of all cases of a system pooled, the
  number papers report) is computed from the features this pass saves (`--features-out`).
- FVD: I3D features of 16-frame clips cut from the same pairs (fvd.py); per video noisy too, pooled the same
  way from the same file.
"""

from __future__ import annotations

from typing import Any

BATCH = 8
FID_DIMS = 2048  # Inception pool3
LPIPS_METHOD = (
    "LPIPS (AlexNet, v0.1 linear layers), per frame vs the ground truth at 25 fps (frame i to frame i over "
    "the shorter video, the reference scaled to the generated size), mean over frames"
)
FID_METHOD = (
    "FID on pool3 features (2048-d) of pytorch-fid's Inception (pt_inception-2015-12-05), every frame at "
    "25 fps vs the ground truth's frames; per video it is noisy (fewer frames than dimensions): the "
    "run-level value pools all frames of all cases"
)


class Perceptual:
    """Accumulates frame pairs; `lpips_model` / `fid_model` / `clips` (FVD) None leave that score out."""

    def __init__(
        self, lpips_model: Any | None, fid_model: Any | None, device: str, clips: Any | None = None
    ) -> None:
        self.lpips_model, self.fid_model, self.device = lpips_model, fid_model, device
        self.clips = clips  # fvd.Clips
        self.pending: list[tuple[Any, Any]] = []
        self.lpips: list[float] = []
        self.gen_feats: list[Any] = []
        self.ref_feats: list[Any] = []

    def add(self, generated: Any, reference: Any) -> None:
        if self.clips is not None:
            self.clips.add(generated, reference)
        self.pending.append((generated, reference))
        if len(self.pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        from . import fid_inception, lpips_alex

        if not self.pending:
            return
        gen, ref = [p[0] for p in self.pending], [p[1] for p in self.pending]
        self.pending = []
        if self.lpips_model is not None:
            self.lpips += lpips_alex.distances(self.lpips_model, gen, ref, self.device)
        if self.fid_model is not None:
            self.gen_feats.append(fid_inception.features(self.fid_model, gen, self.device))
            self.ref_feats.append(fid_inception.features(self.fid_model, ref, self.device))

    def features(self) -> tuple[Any, Any]:
        """(generated, reference) Inception pool3 features of the frames, [frames, 2048] each."""
        from .frechet import rows

        self._flush()
        return rows(self.gen_feats, FID_DIMS), rows(self.ref_feats, FID_DIMS)

    def result(self, features_out: str | None = None) -> tuple[dict[str, Any], dict[str, str]]:
        """({"lpips", "fid", "fvd", "lpips_frames", "fid_frames", "fvd_clips"}, missing reasons). With
        `features_out`, the FID frame features and the FVD clip features go to that .npz (for the pool)."""
        import numpy as np

        from . import frechet

        self._flush()
        out: dict[str, Any] = {"lpips": None, "fid": None, "fvd": None}
        saved: dict[str, Any] = {}
        missing: dict[str, str] = {}
        if self.lpips_model is not None:
            if self.lpips:
                out["lpips"], out["lpips_frames"] = float(np.mean(self.lpips)), len(self.lpips)
            else:
                missing["lpips"] = "no frame pairs with the reference"
        if self.fid_model is not None:
            gen, ref = self.features()
            if len(gen) < 2:
                missing["fid"] = f"FID needs at least 2 frames in each set, got {len(gen)}"
            else:
                out["fid"], out["fid_frames"] = frechet.fid(gen, ref), len(gen)
                saved.update(generated=gen.astype(np.float32), reference=ref.astype(np.float32))
        if self.clips is not None:
            found, why = self.clips.result()
            out.update(found)
            missing.update(why)
            gen, ref = self.clips.features()
            if len(gen):  # one clip still counts in the pool
                saved.update(fvd_generated=gen.astype(np.float32), fvd_reference=ref.astype(np.float32))
        if features_out and saved:
            np.savez_compressed(features_out, **saved)
        return out, missing


def _one_line(exc: Exception) -> str:
    """torch's load errors put the useful part (the missing keys) on the second line."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


def open_models(
    weights: str, random_weights: bool, device: str, i3d_pin: tuple[int, str] | None = None
) -> tuple[Perceptual, dict[str, str], dict]:
    """The three networks from the --weights folder (each optional: a missing file leaves its score absent
    with the reason); with `random_weights` LPIPS and FID random (a plumbing check) and FVD absent (its I3D
    exists only as a TorchScript file: no architecture here to initialise). `i3d_pin`: (size, sha256) the
    I3D file must have before it is loaded (default: the released file's). -> (accumulator, missing, info)"""
    import os

    from . import fid_inception, fvd, lpips_alex

    missing: dict[str, str] = {}
    info: dict[str, Any] = {}

    def path(name: str) -> str | None:
        p = os.path.join(weights, name)
        return p if os.path.isfile(p) else None

    lp = fid = None
    alex, lin = path(lpips_alex.ALEXNET_FILE), path(lpips_alex.LIN_FILE)
    if random_weights:
        lp = lpips_alex.load_model(None, None, device)
    elif alex is None or lin is None:
        absent = [n for n, p in ((lpips_alex.ALEXNET_FILE, alex), (lpips_alex.LIN_FILE, lin)) if p is None]
        missing["lpips"] = (
            f"LPIPS weights not installed ({', '.join(absent)}; thtui setup evaluator fetches them)"
        )
    else:
        try:
            lp = lpips_alex.load_model(alex, lin, device)
        except (ValueError, RuntimeError) as exc:
            missing["lpips"] = f"LPIPS weights refused: {_one_line(exc)}"
    inc = path(fid_inception.FILE)
    if random_weights or inc is not None:
        try:
            fid = fid_inception.load_model(None if random_weights else inc, device)
        except RuntimeError as exc:
            missing["fid"] = f"FID Inception weights refused: {_one_line(exc)}"
    else:
        missing["fid"] = (
            f"FID Inception weights not installed ({fid_inception.FILE}; thtui setup evaluator fetches them)"
        )
    info["lpips_method"], info["fid_method"] = LPIPS_METHOD, FID_METHOD
    clips, why = _open_i3d(path(fvd.FILE), random_weights, device, i3d_pin)
    missing.update(why)
    if clips is not None:
        info["fvd_method"] = fvd.METHOD
    return Perceptual(lp, fid, device, clips), missing, info


def _open_i3d(
    path: str | None, random_weights: bool, device: str, pin: tuple[int, str] | None
) -> tuple[Any | None, dict[str, str]]:
    from . import fvd

    if random_weights:
        why = "--random-weights: the I3D exists only as its TorchScript file (no architecture to initialise)"
        return None, {"fvd": why}
    if path is None:
        return None, {
            "fvd": f"FVD I3D weights not installed ({fvd.FILE}; thtui setup evaluator fetches them)"
        }
    try:
        model = fvd.load_model(path, device, pin or (fvd.SIZE, fvd.SHA256))
    except (ValueError, RuntimeError) as exc:  # a pin mismatch (never loaded) or a file torch refuses
        return None, {"fvd": f"FVD I3D refused: {_one_line(exc)}"}
    except OSError as exc:  # e.g. no permission: FVD absent, LSE/CSIM/PSNR/... of this video still stand
        return None, {"fvd": f"cannot read the I3D file: {_one_line(exc)}"}
    return fvd.Clips(model, device), {}


def set_scores(paths: list[str]) -> dict[str, Any]:
    """FID and FVD over the union of several jobs' saved features (one system's cases): the set-level values.
    Either may be absent (its reason in "missing"), e.g. files saved without the Inception or the I3D;
    Unusable when neither can be computed."""
    import numpy as np

    from . import frechet, fvd

    sets: dict[str, list[Any]] = {"generated": [], "reference": [], "fvd_generated": [], "fvd_reference": []}
    for p in paths:
        with np.load(p) as z:
            for key, found in sets.items():
                if key in z.files:
                    found.append(z[key].astype(np.float64))
    g, r = (np.concatenate(sets[k]) if sets[k] else np.zeros((0, 1)) for k in ("generated", "reference"))
    vg, vr = (
        np.concatenate(sets[k]) if sets[k] else np.zeros((0, 1)) for k in ("fvd_generated", "fvd_reference")
    )
    out: dict[str, Any] = {"fid": None, "fvd": None, "cases": len(paths)}
    missing: dict[str, str] = {}
    if len(g) >= 2 and len(r) >= 2:
        out.update(fid=frechet.fid(g, r), frames=len(g), reference_frames=len(r))
    else:
        missing["fid"] = f"FID needs at least 2 frames in each set, got {len(g)} and {len(r)}"
    if len(vg) >= 2 and len(vr) >= 2:
        out.update(fvd=fvd.distance(vg, vr), fvd_clips=len(vg), fvd_reference_clips=len(vr))
    else:
        missing["fvd"] = (
            f"FVD needs at least 2 {fvd.CLIP}-frame clips in each set, got {len(vg)} and {len(vr)}"
        )
    for key in ("fid", "fvd"):  # NaN features (or round-off) give a NaN: max(nan, 0.0) keeps it
        if out[key] is not None and not np.isfinite(out[key]):
            out[key], missing[key] = None, "not a finite number"
    if out["fid"] is None and out["fvd"] is None:
        from .__main__ import Unusable

        raise Unusable("; ".join(missing.values()))
    return {**out, "missing": missing}
