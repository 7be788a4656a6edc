"""A small per-process cache of results computed from a file, never stale, bounded, thread-safe.

Why: `thtui run --reference` scores every system's video of a case against the same reference video, and
the reference's face pass (decode + 68 landmarks on every frame) gives the same tracks each time. The
cache keeps such a result per file and hands it out again while the file is unchanged.

- Key: the resolved path plus a `variant` (what else the result depends on, e.g. the decode size).
- Freshness: each entry carries the file's stamp (size, mtime_ns, inode) taken before the computation;
  a lookup whose stamp differs recomputes and replaces the entry. A file that changed *during* the
  computation gives its result to the caller but is not stored (the result may mix two versions).
- Bound: least recently used entries go first once there are more than `max_entries` or their sizes
  (`size_of`, bytes) add up to more than `max_bytes`; an entry bigger than `max_bytes` alone is not kept.
- Threads: one lock guards the table; a key being computed is computed once, the other callers of the
  same key wait for that result (or its exception) instead of repeating the work. Different keys are
  computed in parallel.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class FileStamp:
    size: int
    mtime_ns: int
    inode: int  # a file replaced by rename keeps size and may keep mtime_ns, never the inode


def file_stamp(path: Path) -> FileStamp:
    st = os.stat(path)
    return FileStamp(st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass
class _Entry(Generic[T]):
    stamp: FileStamp
    value: T
    nbytes: int


class FileResultCache(Generic[T]):
    def __init__(self, max_entries: int, max_bytes: int, size_of: Callable[[T], int]) -> None:
        self.max_entries, self.max_bytes, self._size_of = max_entries, max_bytes, size_of
        self._entries: OrderedDict[tuple[Path, Hashable], _Entry[T]] = OrderedDict()
        self._inflight: dict[tuple[Path, Hashable, FileStamp], Future[T]] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = self.waits = 0  # tests and benchmarks read them

    def get(self, path: Path | str, variant: Hashable, compute: Callable[[], T]) -> T:
        """The cached result for (`path`, `variant`) while the file is unchanged, else `compute()`'s."""
        resolved = Path(path).resolve()
        key = (resolved, variant)
        stamp = file_stamp(resolved)  # OSError for a missing file, as the computation would raise
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.stamp == stamp:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry.value
            flight_key = (resolved, variant, stamp)
            pending = self._inflight.get(flight_key)
            if pending is None:
                future: Future[T] = Future()
                self._inflight[flight_key] = future
                self.misses += 1
            else:
                self.waits += 1
        if pending is not None:
            return pending.result()  # another thread computes this very version: wait for it
        try:
            value = compute()
        except BaseException as exc:
            future.set_exception(exc)
            with self._lock:
                del self._inflight[flight_key]
            raise
        try:
            unchanged = file_stamp(resolved) == stamp
        except OSError:
            unchanged = False
        with self._lock:
            del self._inflight[flight_key]
            if unchanged:
                self._store(key, _Entry(stamp, value, self._size_of(value)))
        future.set_result(value)
        return value

    def _store(self, key: tuple[Path, Hashable], entry: _Entry[T]) -> None:
        self._entries.pop(key, None)  # the stale version of this file, if any
        if entry.nbytes > self.max_bytes:
            return
        self._entries[key] = entry
        total = sum(e.nbytes for e in self._entries.values())
        while len(self._entries) > self.max_entries or total > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            total -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = self.waits = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(e.nbytes for e in self._entries.values())
