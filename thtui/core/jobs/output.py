"""Find the video a job wrote, bring it to job_dir/result.mp4 (h264/aac mp4), and check it.

Upstream scripts name their output in odd ways (timestamped subdirs, the input's stem); the manifest
gives either the exact path or a glob, and only files modified after the job started count, so a stale
result from an earlier run in a shared clone is never taken for this job's.
"""

from __future__ import annotations

import glob
import os
import shutil
from pathlib import Path

from thtui.core.plan import InferencePlan

_CLOCK_SLACK_S = 1.0  # filesystems with coarse mtimes (and clock steps) must not hide a fresh file


def find_output(plan: InferencePlan, started_at_epoch: float) -> Path | None:
    since = started_at_epoch - _CLOCK_SLACK_S
    if plan.output_path:
        p = Path(plan.output_path)
        return p if p.is_file() and p.stat().st_mtime >= since else None
    matches = [Path(m) for m in glob.glob(plan.output_glob or "", recursive=True)]
    fresh = [m for m in matches if m.is_file() and m.stat().st_mtime >= since]
    return max(fresh, key=lambda m: m.stat().st_mtime) if fresh else None


def finalize_output(src: Path, dest: Path) -> str:
    """Move `src` to `dest` when it already is what players and reports need (h264 yuv420p + aac mp4),
    else re-encode it there (thtui.core.media.normalize_video). Returns what was done, for the log.
    Raises thtui.core.media.MediaError when the file cannot be read or converted."""
    from thtui.core.media import normalize_video, probe

    dest.parent.mkdir(parents=True, exist_ok=True)
    info = probe(src)
    v, a = info.video, info.audio
    if (
        src.suffix.lower() == ".mp4"
        and v is not None
        and v.codec == "h264"
        and v.pix_fmt in (None, "yuv420p")
        and (a is None or a.codec == "aac")
    ):
        _move(src, dest)
        return f"moved {src} -> {dest} ({info.describe()})"
    normalize_video(src, dest)
    src.unlink(missing_ok=True)  # one copy of each video: the normalised one
    return f"normalised {src} ({info.describe()}) -> {dest} (h264/aac mp4)"


def _move(src: Path, dest: Path) -> None:
    try:
        os.replace(src, dest)
    except OSError:  # another filesystem (scratch under /tmp)
        shutil.copy2(src, dest)
        src.unlink(missing_ok=True)
