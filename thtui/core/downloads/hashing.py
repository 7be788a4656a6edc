"""Checksums for downloaded files, with a sidecar cache so a multi-GB weight is hashed once, not on
every `thtui verify` (the cache is keyed by inode, size and mtime, so any rewrite invalidates it, except
one of the same size within the same tick of the file system's clock, a few milliseconds)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def git_blob_sha1(path: Path) -> str:
    """The id git (and the Hugging Face tree API) gives a non-LFS file: sha1 of 'blob <size>\\0' + bytes."""
    h = hashlib.sha1(f"blob {Path(path).stat().st_size}\0".encode())
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class Expect:
    """What a file must be. At least one field should be set; size alone is the weakest check."""

    sha256: str | None = None
    size: int | None = None
    git_sha1: str | None = None
    min_size: int | None = None  # last resort when the source publishes no checksum: rejects error pages

    def describe(self) -> str:
        if self.sha256:
            return f"sha256 {self.sha256[:12]}…"
        if self.git_sha1:
            return f"git blob {self.git_sha1[:12]}…"
        if self.size is not None:
            return f"{self.size} bytes"
        return f">= {self.min_size} bytes" if self.min_size else "anything"


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamp(st: os.stat_result) -> list[int]:
    return [st.st_ino, st.st_size, st.st_mtime_ns]


def check_file(path: Path, expect: Expect, *, use_cache: bool = True) -> str | None:
    """None when `path` matches `expect`, else a one-line reason. Follows symlinks."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return f"missing: {path}"
    if expect.size is not None and st.st_size != expect.size:
        return f"wrong size: {path} has {st.st_size} bytes, expected {expect.size}"
    if expect.min_size is not None and st.st_size < expect.min_size:
        return (
            f"too small: {path} has {st.st_size} bytes, expected at least {expect.min_size} (an error page?)"
        )
    if not (expect.sha256 or expect.git_sha1):
        return None
    cache = _sidecar(path.resolve())
    cached: dict = {}
    if use_cache:
        try:
            cached = json.loads(cache.read_text())
            if cached.get("stamp") != _stamp(st):
                cached = {}
        except (OSError, ValueError):
            cached = {}
    if expect.sha256:
        got = cached.get("sha256") or sha256_file(path)
        if got != expect.sha256:
            return f"sha256 mismatch: {path} is {got[:12]}…, expected {expect.sha256[:12]}…"
        cached["sha256"] = got
    if expect.git_sha1:
        got = cached.get("git_sha1") or git_blob_sha1(path)
        if got != expect.git_sha1:
            return f"checksum mismatch: {path} has git blob id {got[:12]}…, expected {expect.git_sha1[:12]}…"
        cached["git_sha1"] = got
    cached["stamp"] = _stamp(st)
    try:
        tmp = cache.with_name(cache.name + f".{os.getpid()}")
        tmp.write_text(json.dumps(cached))
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only store still verifies, just without the cache
    return None


def forget(path: Path) -> None:
    _sidecar(Path(path)).unlink(missing_ok=True)
