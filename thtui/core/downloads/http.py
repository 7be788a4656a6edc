"""Resumable HTTP(S) downloads: bytes go to `<dest>.part`; a rerun (after a crash, SIGKILL or Ctrl-C)
asks for `Range: bytes=<part size>-` and appends. Only a file that matches its checksum is renamed to
`dest`; a mismatch deletes the bytes, so a bad file is never accepted.
"""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

from thtui.core.downloads.hashing import Expect, check_file, forget

ProgressFn = Callable[[int, "int | None"], None]  # (bytes done, total bytes or None)
USER_AGENT = "thtui/0.1 (+https://github.com/thtui)"
CHUNK = 1 << 20
# Worth a retry (with resume); a full disk or a bad path is not.
_RETRYABLE = (urllib.error.URLError, ConnectionError, TimeoutError, http.client.HTTPException)


class DownloadError(RuntimeError):
    """A download failed for good (HTTP 4xx, wrong size, retries exhausted). One-line message."""


class ChecksumMismatch(DownloadError):
    pass


class Cancelled(Exception):
    """The caller's cancel event was set; partial bytes are kept for the next run."""


class _NoAuthAcrossHosts(urllib.request.HTTPRedirectHandler):
    """Follow redirects, but never send a token to another host (Hub -> CDN, Drive -> usercontent)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and urlparse(newurl).hostname != urlparse(req.full_url).hostname:
            new.remove_header("Authorization")
        return new


_opener = urllib.request.build_opener(_NoAuthAcrossHosts())


def open_url(url: str, headers: dict[str, str] | None = None, *, timeout: float = 30.0, method: str = "GET"):
    req = urllib.request.Request(url, method=method)
    req.add_header("User-Agent", USER_AGENT)
    req.add_header("Accept-Encoding", "identity")  # sizes and ranges must refer to the real bytes
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    return _opener.open(req, timeout=timeout)


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def lock_path(dest: Path) -> Path:
    """Hidden and kept after the download: unlinking a lock file others may be waiting on races."""
    return dest.with_name(f".{dest.name}.lock")


def _meta_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part.json")


@contextlib.contextmanager
def file_lock(path: Path, cancel: threading.Event | None = None, *, poll: float = 0.2) -> Iterator[None]:
    """Exclusive fcntl lock on `path` (created), so two workers never append to the same .part file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if cancel is not None and cancel.is_set():
                    raise Cancelled() from None
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _total_from(resp, offset: int) -> int | None:
    cr = resp.headers.get("Content-Range")
    if cr:
        m = re.match(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", cr)
        if m and m.group(3) != "*":
            return int(m.group(3))
    length = resp.headers.get("Content-Length")
    return offset + int(length) if length and length.isdigit() else None


def _range_start(resp) -> int | None:
    m = re.match(r"bytes\s+(\d+)-", resp.headers.get("Content-Range") or "")
    return int(m.group(1)) if m else None


def download(
    url: str,
    dest: Path,
    expect: Expect,
    *,
    headers: dict[str, str] | None = None,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
    timeout: float = 30.0,
    retries: int = 4,
) -> Path:
    """Fetch `url` into `dest` (resuming `dest.part`), check it against `expect`, return `dest`.

    An existing `dest` that matches is kept without any network access; one that does not is deleted."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(lock_path(dest), cancel):
        if dest.exists():
            if check_file(dest, expect) is None:
                return dest
            dest.unlink()
            forget(dest)
        _fetch(url, dest, expect, headers or {}, progress, cancel, timeout, retries)
        part = part_path(dest)
        problem = check_file(part, expect, use_cache=False)
        if problem:
            part.unlink(missing_ok=True)
            _meta_path(dest).unlink(missing_ok=True)
            forget(part)
            raise ChecksumMismatch(
                f"{problem.replace(str(part), dest.name)} (downloaded from {url}; bytes deleted)"
            )
        forget(part)
        os.replace(part, dest)
        _meta_path(dest).unlink(missing_ok=True)
        check_file(dest, expect)  # fills the verified-cache for the final path
    return dest


def _fetch(url, dest, expect, headers, progress, cancel, timeout, retries) -> None:  # type: ignore[no-untyped-def]
    part, meta_file = part_path(dest), _meta_path(dest)
    try:
        meta = json.loads(meta_file.read_text())
    except (OSError, ValueError):
        meta = {}
    if meta.get("url") not in (None, url):
        part.unlink(missing_ok=True)  # bytes of another source must not be glued to these
        meta = {}
    attempt = 0
    while True:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        offset = part.stat().st_size if part.exists() else 0
        if expect.size is not None and offset > expect.size:
            part.unlink()
            offset = 0
        if expect.size is not None and offset == expect.size and offset > 0:
            return
        req_headers = dict(headers)
        if offset:
            req_headers["Range"] = f"bytes={offset}-"
            if meta.get("etag"):
                req_headers["If-Range"] = meta["etag"]
        try:
            resp = open_url(url, req_headers, timeout=timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 416 and offset:
                # Nothing left to send: the part is complete (verified next) or the remote changed.
                if meta.get("total") == offset:
                    return
                part.unlink(missing_ok=True)
                continue
            if exc.code in (408, 429) or exc.code >= 500:
                attempt = _retry_or_raise(attempt, retries, f"HTTP {exc.code} from {url}")
                continue
            raise DownloadError(f"HTTP {exc.code} {exc.reason} for {url}") from None
        except _RETRYABLE as exc:
            attempt = _retry_or_raise(attempt, retries, f"{url}: {getattr(exc, 'reason', exc)}")
            continue
        with resp:
            if offset and (resp.status != 206 or _range_start(resp) != offset):
                offset = 0  # the server ignored the range (or the file changed): start over
            total = _total_from(resp, offset)
            if expect.size is not None and total is not None and total != expect.size:
                raise DownloadError(f"{url} has {total} bytes, the manifest expects {expect.size}")
            meta = {"url": url, "etag": resp.headers.get("ETag"), "total": total}
            meta_file.write_text(json.dumps(meta))
            done = offset
            try:
                with open(part, "r+b" if offset else "wb") as out:
                    out.seek(offset)
                    out.truncate()
                    if progress:
                        progress(done, total)
                    while chunk := resp.read1(CHUNK):  # whatever arrived: smooth progress, quick cancel
                        out.write(chunk)
                        done += len(chunk)
                        if progress:
                            progress(done, total)
                        if cancel is not None and cancel.is_set():
                            raise Cancelled()
            except _RETRYABLE as exc:
                attempt = _retry_or_raise(attempt, retries, f"{url}: connection lost at byte {done} ({exc})")
                continue
            if total is not None and done < total:
                attempt = _retry_or_raise(attempt, retries, f"{url}: stream ended at byte {done} of {total}")
                continue
            return


def _retry_or_raise(attempt: int, retries: int, message: str) -> int:
    if attempt >= retries:
        raise DownloadError(f"{message} (gave up after {retries} retries; rerun setup to resume)")
    time.sleep(min(2**attempt, 10) * 0.5)
    return attempt + 1
