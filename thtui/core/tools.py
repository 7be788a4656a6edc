"""Locate external programs: ffmpeg (system, else the imageio-ffmpeg bundle), ffprobe, git, conda & co."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class Tool:
    name: str
    path: str | None
    origin: str  # "system", "bundled (imageio-ffmpeg)", "missing"

    @property
    def found(self) -> bool:
        return self.path is not None


@lru_cache(maxsize=1)
def ffmpeg() -> Tool:
    """System ffmpeg wins (it has every codec the distro ships); the imageio-ffmpeg static binary is the
    fallback, so a fresh machine with only pip still encodes h264/aac."""
    override = os.environ.get("THTUI_FFMPEG")
    if override:
        return Tool("ffmpeg", override, "env THTUI_FFMPEG")
    system = shutil.which("ffmpeg")
    if system:
        return Tool("ffmpeg", system, "system")
    try:
        import imageio_ffmpeg

        return Tool("ffmpeg", imageio_ffmpeg.get_ffmpeg_exe(), "bundled (imageio-ffmpeg)")
    except Exception:
        return Tool("ffmpeg", None, "missing")


@lru_cache(maxsize=1)
def ffprobe() -> Tool:
    """The imageio-ffmpeg bundle has no ffprobe; thtui.core.media probes through ffmpeg then."""
    system = shutil.which("ffprobe")
    return Tool("ffprobe", system, "system" if system else "missing")


def which(name: str) -> Tool:
    path = shutil.which(name)
    return Tool(name, path, "system" if path else "missing")


def ensure_ffmpeg_shim(bin_dir: Path) -> Path | None:
    """Make `ffmpeg` callable by that name from `bin_dir` (upstream scripts shell out to plain `ffmpeg`).

    Returns the shim dir, or None when no ffmpeg exists at all."""
    tool = ffmpeg()
    if not tool.found:
        return None
    bin_dir.mkdir(parents=True, exist_ok=True)
    link = bin_dir / "ffmpeg"
    if link.is_symlink() and os.readlink(link) == tool.path:
        return bin_dir
    tmp = bin_dir / f".ffmpeg.{os.getpid()}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(tool.path)  # type: ignore[arg-type]
    os.replace(tmp, link)  # atomic: concurrent jobs never see a missing shim
    return bin_dir
