"""Run ffmpeg (built with ffmpeg-python) by argv, never through a shell.

Every path handed to ffmpeg goes through `ff_path`: absolute and prefixed with the `file:` protocol, so
names that start with '-', contain ':' (read as a protocol otherwise), spaces, quotes or shell
metacharacters reach the file system unchanged.
"""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_python

from thtui.core import tools
from thtui.core.media.errors import MediaError

DEFAULT_TIMEOUT_S = 600.0
_GLOBAL_ARGS = ["-hide_banner", "-nostdin", "-loglevel", "error", "-y"]


def ffmpeg_exe() -> str:
    tool = tools.ffmpeg()
    if not tool.found:
        raise MediaError("ffmpeg not found: install imageio-ffmpeg (pip) or ffmpeg (apt)")
    return str(tool.path)


def ff_path(path: Path | str) -> str:
    return "file:" + str(Path(path).absolute())


def stream_args(stream: Any) -> list[str]:
    """ffmpeg-python's argv for a stream graph, without its trailing global flags: ours go first so
    newer ffmpeg never warns about 'trailing options'."""
    return list(ffmpeg_python.get_args(stream))


def run_ffmpeg(
    args: list[str], *, timeout: float = DEFAULT_TIMEOUT_S, stdout: bool = False, what: str = "ffmpeg"
) -> bytes:
    """Run `ffmpeg <globals> <args>`; return stdout bytes when asked. Failure -> MediaError naming `what`."""
    argv = [ffmpeg_exe(), *_GLOBAL_ARGS, *args]
    try:
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise MediaError(f"{what}: ffmpeg took longer than {timeout:g} s") from None
    except OSError as exc:
        raise MediaError(f"{what}: cannot start ffmpeg ({exc})") from None
    if proc.returncode != 0:
        raise MediaError(f"{what}: ffmpeg exited with code {proc.returncode}: {stderr_tail(proc.stderr)}")
    return proc.stdout or b""


def run_stream(
    stream: Any, *, timeout: float = DEFAULT_TIMEOUT_S, stdout: bool = False, what: str = "ffmpeg"
) -> bytes:
    return run_ffmpeg(stream_args(stream), timeout=timeout, stdout=stdout, what=what)


def stderr_tail(raw: bytes | str | None, lines: int = 3) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else (raw or "")
    kept = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(kept[-lines:]) or "no error message"


@lru_cache(maxsize=4)
def _encoders(exe: str) -> frozenset[str]:
    out = subprocess.run(
        [exe, "-hide_banner", "-encoders"], capture_output=True, stdin=subprocess.DEVNULL, check=False
    )
    names = set()
    for line in out.stdout.decode("utf-8", "replace").splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 6 and parts[0][0] in "VAS":
            names.add(parts[1])
    return frozenset(names)


def has_encoder(name: str) -> bool:
    return name in _encoders(ffmpeg_exe())


def pick_encoder(*candidates: str) -> str:
    """The first encoder this ffmpeg build has (distro builds may lack libx264, static ones libfdk)."""
    available = _encoders(ffmpeg_exe())
    for name in candidates:
        if name in available:
            return name
    raise MediaError(f"this ffmpeg has none of the encoders {', '.join(candidates)}")
