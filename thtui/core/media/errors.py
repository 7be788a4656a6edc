"""Errors of the media layer, and the file checks every input goes through first.

`InputError` is what a user sees: one sentence naming the file and what is wrong with it, raised before
any GPU time is spent. `MediaError` is ffmpeg itself failing (missing binary, an encode that dies).
"""

from __future__ import annotations

import os
from pathlib import Path


class InputError(ValueError):
    """A user-supplied input is unusable. `code` is a stable machine-readable reason."""

    def __init__(
        self, message: str, *, kind: str = "", code: str = "bad_input", path: Path | str | None = None
    ):
        super().__init__(message)
        self.kind = kind  # "image" | "audio" | "text"
        self.code = code  # e.g. "not_found", "empty", "truncated", "no_face", "too_long", "silent"
        self.path = str(path) if path is not None else None


class MediaError(RuntimeError):
    """ffmpeg is missing or an ffmpeg command failed on input we had already validated."""


def check_file(path: Path | str, kind: str) -> Path:
    """Exists, is a regular file, is readable and is not empty; else a specific InputError."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise InputError(f"{kind} not found: {p}", kind=kind, code="not_found", path=p) from None
    except PermissionError as exc:
        raise InputError(
            f"cannot read {kind} {p}: {exc.strerror}", kind=kind, code="unreadable", path=p
        ) from None
    except OSError as exc:  # ENAMETOOLONG, ELOOP, ENOTDIR ...
        raise InputError(
            f"cannot read {kind} {p}: {exc.strerror or exc}", kind=kind, code="unreadable", path=p
        ) from None
    if p.is_dir():
        raise InputError(f"{kind} path is a directory, not a file: {p}", kind=kind, code="not_a_file", path=p)
    if not p.is_file():
        raise InputError(f"{kind} path is not a regular file: {p}", kind=kind, code="not_a_file", path=p)
    try:
        with open(p, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise InputError(
            f"cannot read {kind} {p}: {exc.strerror or exc}", kind=kind, code="unreadable", path=p
        ) from None
    if st.st_size == 0:
        raise InputError(f"{kind} file is empty (0 bytes): {p}", kind=kind, code="empty", path=p)
    return p


def looks_like_text(path: Path, sniff: int = 512) -> bool:
    """True when the file's first bytes are printable UTF-8 text (a note renamed to .png, say)."""
    with open(path, "rb") as fh:
        head = fh.read(sniff)
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the sniff boundary; retry without the last 3 bytes.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    return printable >= 0.95 * len(text)


def ensure_dir(path: Path) -> Path:
    os.makedirs(path, exist_ok=True)
    return path
