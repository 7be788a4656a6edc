"""The one list of input file types thtui accepts, for the CLI's validators and the TUI's file picker.

The TUI's picker once offered five image and five audio extensions while the CLI took anything Pillow or
ffmpeg could decode (.gif, .opus, an .mp4's audio track); both now read these sets. Content still
decides: a listed extension on bytes that are not an image is refused by the validators.
Light on purpose (no Pillow, no media layer): the TUI imports it at start-up.
"""

from __future__ import annotations

from pathlib import Path

# Pillow decodes all of these; an animated GIF/WebP gives its first frame.
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
)
# ffmpeg decodes all of these; a video container counts as audio through its audio track.
AUDIO_SUFFIXES = frozenset(
    {".wav", ".mp3", ".flac", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wma", ".aif", ".aiff"}
    | {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi"}
)
# The user's own video as a source (thtui run/plan/check-inputs --video): containers ffmpeg reads that carry video.
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi"})
SUFFIXES = {"image": IMAGE_SUFFIXES, "audio": AUDIO_SUFFIXES, "video": VIDEO_SUFFIXES}


def accepted(kind: str) -> str:
    """'.bmp, .gif, …' for messages."""
    return ", ".join(sorted(SUFFIXES[kind]))


_COMMON = (".png", ".jpg", ".webp", ".wav", ".mp3", ".flac", ".mp4")


def short_list(suffixes: frozenset[str] | set[str]) -> str:
    """'.png, .jpg, .webp, … 10 types': the common ones first, short enough for a title at 80 columns."""
    common = [s for s in _COMMON if s in suffixes]
    rest = sorted(s for s in suffixes if s not in common)
    if len(suffixes) <= 4:
        return ", ".join(common + rest)
    return f"{', '.join((common + rest)[:3])}, … {len(suffixes)} types"


def suffix_problem(path: Path | str, kind: str) -> str | None:
    """Why `path` is not an accepted `kind` ("image" | "audio" | "video") by its extension, or None."""
    suffix = Path(path).suffix.lower()
    if suffix in SUFFIXES[kind]:
        return None
    what = f"extension {suffix}" if suffix else "no extension"
    return f"{kind} {path} has {what}; thtui takes {kind} files named {accepted(kind)}"
