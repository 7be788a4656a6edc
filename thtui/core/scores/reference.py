"""Scores against a ground-truth video (the papers' reconstruction setting): PSNR, SSIM, LMD.

Both videos are decoded at 25 fps; the reference is scaled to the scored video's decoded size, and the
pairs run frame by frame until the shorter one ends. SSIM is the grey-level SSIM of Wang et al. 2004
(Gaussian window 11, sigma 1.5, K1 0.01, K2 0.03). LMD is the mean distance in pixels between the mouth
landmarks (48-67) of the two videos, over frames where both have a face.

The reference's face pass runs once per reference file per process (`TRACKS`, thtui.core.scores.
file_cache): every system of a `thtui run --reference` case is scored against the same file, and its
landmark tracks do not change between them. The reference is tracked at its own decoded size and its
points are scaled to the scored video's size; when both sizes are equal (the usual case) this is exactly
what tracking the reference frames scaled to the scored video's size gives, frame for frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from thtui.core.scores.file_cache import FileResultCache

if TYPE_CHECKING:
    import numpy as np

    from thtui.core.scores.decode import VideoSource


@dataclass(frozen=True)
class ReferenceScores:
    psnr: float | None
    ssim: float | None
    lmd: float | None
    frames: int


@dataclass(frozen=True)
class ReferenceTracks:
    """The reference's face pass: landmarks of every frame decoded at 25 fps, at `width` x `height`."""

    points: np.ndarray  # (n, 68, 2) float32, NaN where no face
    width: int
    height: int


def track_reference(reference: VideoSource) -> ReferenceTracks:
    """The face pass over the reference video (the slow part that TRACKS keeps)."""
    import numpy as np

    from thtui.core.scores.decode import iter_frames
    from thtui.core.scores.track import FaceTracker

    tracker = FaceTracker()
    nan = np.full((68, 2), np.nan, dtype=np.float32)
    rows = [face.points if (face := tracker.step(r)) is not None else nan for r in iter_frames(reference)]
    points = np.stack(rows) if rows else np.empty((0, 68, 2), dtype=np.float32)
    points.setflags(write=False)  # shared by every caller of the cache: nobody may change it in place
    return ReferenceTracks(points, reference.width, reference.height)


# Tracks are small (544 bytes a frame: a 10 s reference is ~136 kB), so the bound is in bytes and large
# enough for a folder of references: a run goes solution by solution over every case, so each reference
# must survive a whole pass over the others to be reused.
TRACKS: FileResultCache[ReferenceTracks] = FileResultCache(
    max_entries=512, max_bytes=32 * 2**20, size_of=lambda t: int(t.points.nbytes)
)


def reference_tracks(
    reference: VideoSource, cache: FileResultCache[ReferenceTracks] | None = TRACKS
) -> ReferenceTracks:
    """The reference's tracks: from `cache` while its file is unchanged, else a fresh face pass."""
    if cache is None:
        return track_reference(reference)
    size = (reference.width, reference.height)
    return cache.get(reference.path, size, lambda: track_reference(reference))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    import numpy as np

    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    import cv2
    import numpy as np

    x = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float64)
    y = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(z, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    num = (2 * mx * my + c1) * (2 * sxy + c2)
    den = (mx * mx + my * my + c1) * (sxx + syy + c2)
    return float((num / den).mean())


def compare(
    generated: VideoSource,
    reference: VideoSource,
    generated_points: np.ndarray,
    cache: FileResultCache[ReferenceTracks] | None = TRACKS,
) -> ReferenceScores:
    """PSNR/SSIM of every frame pair and LMD; `cache=None` runs the reference's face pass afresh."""
    import dataclasses

    import numpy as np

    from thtui.core.scores.decode import iter_frames

    tracks = reference_tracks(reference, cache)
    ref_points = tracks.points
    if (tracks.width, tracks.height) != (generated.width, generated.height):
        scale = np.array([generated.width / tracks.width, generated.height / tracks.height], np.float32)
        ref_points = ref_points * scale
    ref = dataclasses.replace(reference, width=generated.width, height=generated.height)
    psnrs, ssims, lmds = [], [], []
    for i, (g, r) in enumerate(zip(iter_frames(generated), iter_frames(ref), strict=False)):
        value = psnr(g, r)
        psnrs.append(min(value, 100.0))  # identical frames: cap instead of inf, said in the method
        ssims.append(ssim(g, r))
        if (
            i < len(ref_points)
            and i < len(generated_points)
            and np.isfinite(ref_points[i, 0, 0])
            and np.isfinite(generated_points[i, 0, 0])
        ):
            d = np.linalg.norm(generated_points[i, 48:68] - ref_points[i, 48:68], axis=1)
            lmds.append(float(d.mean()))
    n = len(psnrs)
    return ReferenceScores(
        float(np.mean(psnrs)) if n else None,
        float(np.mean(ssims)) if n else None,
        float(np.mean(lmds)) if lmds else None,
        n,
    )
