"""The reference's face pass runs once per reference file per process (thtui.core.scores.reference.TRACKS).

Real videos (the session's controls), the real score_video, and a spy that wraps the real
`track_reference` and counts its calls; the values are compared with the uncached path and with the
pre-cache algorithm (the reference tracked frame by frame beside the scored video).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from thtui.core.scores import reference as ref_mod
from thtui.core.scores import score_video
from thtui.core.scores.decode import iter_frames, open_video


@pytest.fixture
def passes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """A fresh process-wide cache, and the paths of every real face pass over a reference."""
    calls: list[Path] = []
    real = ref_mod.track_reference

    def spy(reference):  # noqa: ANN001, ANN202
        calls.append(reference.path)
        return real(reference)

    monkeypatch.setattr(ref_mod, "track_reference", spy)
    ref_mod.TRACKS.clear()
    yield calls
    ref_mod.TRACKS.clear()


def _points(video: Path) -> np.ndarray:
    from thtui.core.scores.frame_pass import run_pass

    return run_pass(open_video(video), None, 30, lambda _e: None).points


def _lmd_before_the_cache(generated: Path, reference: Path, points: np.ndarray) -> float | None:
    """The pre-cache LMD: the reference decoded at the scored video's size and tracked in lockstep."""
    import dataclasses

    from thtui.core.scores.track import FaceTracker

    gen = open_video(generated)
    ref = dataclasses.replace(open_video(reference), width=gen.width, height=gen.height)
    tracker = FaceTracker()
    lmds = []
    for i, (_g, r) in enumerate(zip(iter_frames(gen), iter_frames(ref), strict=False)):
        face = tracker.step(r)
        if face is not None and i < len(points) and np.isfinite(points[i, 0, 0]):
            lmds.append(float(np.linalg.norm(points[i, 48:68] - face.points[48:68], axis=1).mean()))
    return float(np.mean(lmds)) if lmds else None


def test_two_videos_against_one_reference_track_it_once_with_the_uncached_values(
    controls: dict[str, Path], passes: list[Path], tmp_path: Path
) -> None:
    reference = Path(shutil.copy(controls["jawflap"], tmp_path / "reference.mp4"))
    first = score_video(controls["synced"], controls["portrait"], reference=reference)
    second = score_video(controls["other"], controls["portrait"], reference=reference)
    assert passes == [reference.resolve()]  # one face pass for both videos
    assert ref_mod.TRACKS.hits == 1 and ref_mod.TRACKS.misses == 1
    assert first.lmd != second.lmd  # other speech drives the mouth: the two videos really differ

    for video, cached in ((controls["synced"], first), (controls["other"], second)):
        points = _points(video)
        uncached = ref_mod.compare(open_video(video), open_video(reference), points, cache=None)
        assert (cached.psnr, cached.ssim, cached.lmd) == (uncached.psnr, uncached.ssim, uncached.lmd)
        assert cached.lmd == _lmd_before_the_cache(video, reference, points)
        assert cached.lmd is not None and cached.psnr is not None and cached.psnr > 20
    assert len(passes) == 3 and ref_mod.TRACKS.hits == 1  # cache=None: a pass of its own, cache untouched


def test_a_changed_reference_file_is_read_again(
    controls: dict[str, Path], passes: list[Path], tmp_path: Path
) -> None:
    reference = Path(shutil.copy(controls["jawflap"], tmp_path / "reference.mp4"))
    before = ref_mod.reference_tracks(open_video(reference))
    assert ref_mod.reference_tracks(open_video(reference)) is before and len(passes) == 1
    assert not before.points.flags.writeable  # shared between callers: read-only
    stat = reference.stat()
    shutil.copyfile(controls["still"], reference)  # same path, new content (rewritten in place)
    os.utime(reference, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    after = ref_mod.reference_tracks(open_video(reference))
    assert len(passes) == 2 and len(ref_mod.TRACKS) == 1  # the stale entry replaced, not kept beside
    assert not np.array_equal(after.points, before.points, equal_nan=True)
    fresh = ref_mod.reference_tracks(open_video(reference), cache=None)
    assert np.array_equal(after.points, fresh.points, equal_nan=True)
    assert ref_mod.reference_tracks(open_video(reference)) is after and len(passes) == 3


def test_a_smaller_video_reuses_the_tracks_scaled_to_its_size(
    controls: dict[str, Path], passes: list[Path], tmp_path: Path
) -> None:
    from thtui.core import tools

    reference = Path(shutil.copy(controls["jawflap"], tmp_path / "reference.mp4"))
    src = open_video(reference)
    small = tmp_path / "small.mp4"
    argv = [str(tools.ffmpeg().path), "-hide_banner", "-loglevel", "error", "-y", "-i", str(reference)]
    argv += ["-vf", f"scale={src.width // 2}:{src.height // 2}", "-an", str(small)]
    subprocess.run(argv, check=True, capture_output=True)
    full = ref_mod.compare(src, src, _points(reference))
    half = ref_mod.compare(open_video(small), src, _points(small))
    assert len(passes) == 1  # one pass at the reference's own size serves both
    # the same video against itself: the mouths coincide, in the scored video's pixels at either size
    assert full.lmd is not None and full.lmd < 0.5
    assert half.lmd is not None and half.lmd < 1.5 and half.psnr is not None and half.psnr > 30
