"""FileResultCache (thtui.core.scores.file_cache): fresh per file stamp, LRU-bounded, one computation per key
across threads. Real files in tmp_path; the computations read them."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from thtui.core.scores.file_cache import FileResultCache


def _until(condition, seconds: float = 10.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def _cache(max_entries: int = 8, max_bytes: int = 1000) -> FileResultCache[bytes]:
    return FileResultCache(max_entries=max_entries, max_bytes=max_bytes, size_of=len)


def _reader(path: Path, calls: list[Path]):  # noqa: ANN202
    def read() -> bytes:
        calls.append(path)
        return path.read_bytes()

    return read


def test_same_file_is_read_once_and_the_key_is_the_resolved_path(tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"abc")
    cache, calls = _cache(), []
    assert cache.get(f, "v", _reader(f, calls)) == b"abc"
    assert cache.get(tmp_path / "." / "a.bin", "v", _reader(f, calls)) == b"abc"
    assert calls == [f] and (cache.hits, cache.misses) == (1, 1)
    assert cache.get(f, "other variant", _reader(f, calls)) == b"abc" and len(calls) == 2


def test_a_rewrite_with_the_same_size_is_seen_by_its_mtime_ns(tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"abc")
    cache, calls = _cache(), []
    cache.get(f, None, _reader(f, calls))
    st = f.stat()
    with f.open("r+b") as fh:  # in place: same inode, same size
        fh.write(b"xyz")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert cache.get(f, None, _reader(f, calls)) == b"xyz" and len(calls) == 2
    assert len(cache) == 1  # replaced, not kept beside the stale one


def test_a_file_replaced_by_rename_is_seen_by_its_inode(tmp_path: Path) -> None:
    f, new = tmp_path / "a.bin", tmp_path / "new.bin"
    f.write_bytes(b"abc")
    cache, calls = _cache(), []
    cache.get(f, None, _reader(f, calls))
    st = f.stat()
    new.write_bytes(b"xyz")
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size and same mtime_ns
    keep = tmp_path / "keep.bin"
    os.link(f, keep)  # keeps the old inode alive so the new file cannot reuse its number
    os.replace(new, f)
    assert cache.get(f, None, _reader(f, calls)) == b"xyz" and len(calls) == 2


def test_least_recently_used_go_first_by_count_and_by_bytes(tmp_path: Path) -> None:
    files = []
    for name in "abcd":
        p = tmp_path / name
        p.write_bytes(name.encode() * 100)
        files.append(p)
    cache, calls = _cache(max_entries=3, max_bytes=250), []
    a, b, c, d = files
    cache.get(a, None, _reader(a, calls))
    cache.get(b, None, _reader(b, calls))
    cache.get(a, None, _reader(a, calls))  # a is now the most recent
    cache.get(c, None, _reader(c, calls))  # 300 bytes > 250: b (least recent) goes
    assert len(cache) == 2 and cache.nbytes == 200
    cache.get(a, None, _reader(a, calls))
    assert calls == [a, b, c]  # a was kept
    cache.get(b, None, _reader(b, calls))
    assert calls[-1] == b  # b had been dropped
    big = tmp_path / "big"
    big.write_bytes(b"x" * 300)
    cache.get(big, None, _reader(big, calls))
    assert cache.get(big, None, _reader(big, calls)) and calls[-2:] == [big, big]  # too big to keep alone
    small = _cache(max_entries=1, max_bytes=1000)
    small.get(a, None, _reader(a, calls))
    small.get(d, None, _reader(d, calls))
    assert len(small) == 1 and small.get(d, None, _reader(d, calls)) == b"d" * 100 and calls[-1] == d


def test_threads_asking_for_the_same_file_share_one_computation(tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"abc")
    cache: FileResultCache[object] = FileResultCache(8, 1000, size_of=lambda _v: 1)
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> object:
        calls.append(1)
        started.set()
        assert release.wait(10)
        return object()

    results: list[object] = []
    first = threading.Thread(target=lambda: results.append(cache.get(f, None, slow)))
    first.start()
    assert started.wait(10)  # the first thread is inside the computation
    others = [threading.Thread(target=lambda: results.append(cache.get(f, None, slow))) for _ in range(7)]
    for t in others:
        t.start()
    _until(lambda: cache.waits == 7)  # all seven wait on the first one's computation
    release.set()
    for t in (first, *others):
        t.join(10)
    assert len(calls) == 1 and len(results) == 8 and all(r is results[0] for r in results)


def test_a_failed_computation_is_not_kept_and_its_waiters_get_the_error(tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"abc")
    cache, calls = _cache(), []
    started, release = threading.Event(), threading.Event()

    def broken() -> bytes:
        calls.append(f)
        started.set()
        assert release.wait(10)
        raise ValueError("cannot decode a.bin")

    errors: list[BaseException] = []

    def ask() -> None:
        try:
            cache.get(f, None, broken)
        except ValueError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask)]
    threads[0].start()
    assert started.wait(10)
    threads.append(threading.Thread(target=ask))
    threads[1].start()
    _until(lambda: cache.waits == 1)
    release.set()
    for t in threads:
        t.join(10)
    assert len(errors) == 2 and len(calls) == 1 and len(cache) == 0
    assert cache.get(f, None, _reader(f, calls)) == b"abc" and len(calls) == 2  # tried again


def test_a_file_that_changes_during_the_computation_is_not_kept(tmp_path: Path) -> None:
    f = tmp_path / "a.bin"
    f.write_bytes(b"abc")
    cache = _cache()

    def read_then_change() -> bytes:
        data = f.read_bytes()
        f.write_bytes(b"abcdef")
        return data

    assert cache.get(f, None, read_then_change) == b"abc"
    assert len(cache) == 0


def test_a_missing_file_raises_oserror(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        _cache().get(tmp_path / "missing", None, lambda: b"")
