"""A cache of the validated catalog, so that `thtui list` and the TUI's first screen do not parse and
validate every manifest with pydantic at each start (issue 10: start-up within 0.3 s / 0.5 s).

The key is the exact input of validation: every manifest's bytes (sha256) with its path under the
solutions directory, plus the code that validates them (the size and mtime of this package's files and
thtui's and pydantic's versions). A manifest edited, added, removed or renamed, or an upgrade, misses;
a miss loads and validates every manifest as before, so a broken one is reported with its file and
field exactly as without a cache. Only a catalog that loaded without error is written.

Stored as a pickle of the validated models: unpickling restores them without re-validating (nothing in
the pickle is trusted more than the user's own data root it lives in, and any error reading it is a
miss). Writes are atomic (a temporary file, then rename) and best-effort: a read-only or full disk
only means no cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

import pydantic

import thtui
from thtui.core.catalog.loader import LoadedSolution

FORMAT = 1  # bump when the pickled layout changes
_CODE = Path(__file__).resolve().parent  # loader.py, schema.py, this file: what validation runs


def cache_file(cache_dir: Path, directory: Path) -> Path:
    """One file per solutions directory, so a test's or a user's own directory does not evict another."""
    tag = hashlib.sha256(str(Path(directory).resolve()).encode()).hexdigest()[:12]
    return Path(cache_dir) / f"catalog-{tag}.pickle"


def catalog_key(directory: Path, manifests: list[Path]) -> str | None:
    """A digest of everything validation depends on; None when a manifest cannot be read (the normal
    load then reports it)."""
    h = hashlib.sha256(f"{FORMAT}|{thtui.__version__}|{pydantic.VERSION}".encode())
    for code in sorted(_CODE.glob("*.py")):
        st = code.stat()
        h.update(f"|{code.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    for manifest in manifests:
        try:
            data = manifest.read_bytes()
        except OSError:
            return None
        h.update(f"|{manifest.relative_to(directory).as_posix()}:{len(data)}:".encode())
        h.update(hashlib.sha256(data).digest())
    return h.hexdigest()


def read(path: Path, key: str) -> list[LoadedSolution] | None:
    """The cached solutions when `path` holds the catalog for `key`; None otherwise (or on any error)."""
    try:
        with open(path, "rb") as f:
            stored_key, solutions = pickle.load(f)
    except Exception:  # absent, truncated, from another version: a miss, never an error
        return None
    if stored_key != key or not isinstance(solutions, list):
        return None
    if not all(isinstance(s, LoadedSolution) for s in solutions):
        return None
    return solutions


def write(path: Path, key: str, solutions: list[LoadedSolution]) -> None:
    """Store the catalog for `key`; silently nothing when the directory cannot be written."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".catalog-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as f:
            pickle.dump((key, solutions), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        tmp = None
    except (OSError, pickle.PicklingError):
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
