"""Resumable downloads against the local stand-in server: Range resume, restart when the server ignores
Range, dropped connections, checksum rules, cancel, Google Drive's confirm page, Hub metadata."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from pathlib import Path

import pytest

from thtui.core.downloads import (
    Cancelled,
    ChecksumMismatch,
    DownloadError,
    Expect,
    check_file,
    download,
    gdrive,
    hf,
    part_path,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from stand_ins.servers import StandInServer  # noqa: E402

DATA = os.urandom(400_000)
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def srv():  # type: ignore[no-untyped-def]
    s = StandInServer().start()
    s.add_file("/f.bin", DATA)
    yield s
    s.stop()


def gets(srv: StandInServer, path: str) -> list[str]:
    return [h.get("Range", "") for m, p, h in srv.requests if p == path and m == "GET"]


def test_resumes_a_part_file_from_its_last_byte(srv: StandInServer, tmp_path: Path) -> None:
    dest = tmp_path / "f.bin"
    part_path(dest).write_bytes(DATA[:123_456])
    seen: list[tuple[int, int | None]] = []
    download(srv.url("/f.bin"), dest, Expect(sha256=SHA), progress=lambda d, t: seen.append((d, t)))
    assert dest.read_bytes() == DATA and not part_path(dest).exists()
    assert gets(srv, "/f.bin") == ["bytes=123456-"]
    assert seen[0] == (123_456, len(DATA)) and seen[-1] == (len(DATA), len(DATA))


def test_dropped_connection_is_retried_with_range(srv: StandInServer, tmp_path: Path) -> None:
    srv.fail_after["/f.bin"] = 100_000
    dest = download(srv.url("/f.bin"), tmp_path / "f.bin", Expect(sha256=SHA, size=len(DATA)))
    assert dest.read_bytes() == DATA
    ranges = gets(srv, "/f.bin")
    assert ranges[0] == "" and ranges[1].startswith("bytes=") and int(ranges[1][6:-1]) > 0


def test_server_ignoring_range_restarts_cleanly(srv: StandInServer, tmp_path: Path, monkeypatch) -> None:
    dest = tmp_path / "f.bin"
    part_path(dest).write_bytes(b"garbage that must not be kept")
    from stand_ins import servers

    monkeypatch.setattr(servers._Handler, "_bytes", _no_range_bytes)
    download(srv.url("/f.bin"), dest, Expect(sha256=SHA))
    assert dest.read_bytes() == DATA


def _no_range_bytes(self, data: bytes, headers: dict) -> None:  # type: ignore[no-untyped-def]
    self._reply(200, data, {"Content-Type": "application/octet-stream", **headers})


def test_checksum_mismatch_deletes_the_bytes(srv: StandInServer, tmp_path: Path) -> None:
    dest = tmp_path / "f.bin"
    with pytest.raises(ChecksumMismatch, match="sha256 mismatch"):
        download(srv.url("/f.bin"), dest, Expect(sha256="a" * 64))
    assert not dest.exists() and not part_path(dest).exists()
    with pytest.raises(DownloadError, match="has 400000 bytes, the manifest expects 5"):
        download(srv.url("/f.bin"), dest, Expect(size=5))


def test_an_existing_good_file_needs_no_network_and_a_bad_one_is_replaced(
    srv: StandInServer, tmp_path: Path
) -> None:
    dest = tmp_path / "f.bin"
    dest.write_bytes(DATA)
    download(srv.url("/f.bin"), dest, Expect(sha256=SHA))
    assert gets(srv, "/f.bin") == []
    dest.write_bytes(b"x" * len(DATA))
    download(srv.url("/f.bin"), dest, Expect(sha256=SHA))
    assert dest.read_bytes() == DATA and len(gets(srv, "/f.bin")) == 1


def test_cancel_keeps_the_part_for_next_time(srv: StandInServer, tmp_path: Path) -> None:
    srv.throttle = (8192, 0.005)
    cancel = threading.Event()
    dest = tmp_path / "f.bin"

    def progress(done: int, total: int | None) -> None:
        if done > 50_000:
            cancel.set()

    with pytest.raises(Cancelled):
        download(srv.url("/f.bin"), dest, Expect(sha256=SHA), progress=progress, cancel=cancel)
    assert part_path(dest).stat().st_size > 50_000 and not dest.exists()


def test_http_errors_are_one_line(srv: StandInServer, tmp_path: Path) -> None:
    with pytest.raises(DownloadError, match=r"^HTTP 404 Not Found for http://127\.0\.0\.1:\d+/nope$"):
        download(srv.url("/nope"), tmp_path / "x", Expect(size=1))


def test_checksum_cache_is_keyed_by_inode_size_and_mtime(tmp_path: Path) -> None:
    f = tmp_path / "w.bin"
    f.write_bytes(DATA)
    assert check_file(f, Expect(sha256=SHA)) is None
    assert json.loads((tmp_path / "w.bin.verified").read_text())["sha256"] == SHA
    before = f.stat().st_mtime_ns
    f.write_bytes(DATA[:-1] + b"\0")  # rewritten: the cache no longer applies
    # A rewrite within the same tick of the file system's clock (a few ms) keeps mtime_ns: move it on as
    # any later write would, so the test does not depend on the clock's granularity.
    os.utime(f, ns=(before + 10_000_000, before + 10_000_000))
    assert "sha256 mismatch" in (check_file(f, Expect(sha256=SHA)) or "")
    assert "too small" in (check_file(f, Expect(min_size=10**9)) or "")


def test_google_drive_large_file_confirm_page(srv: StandInServer, tmp_path: Path, monkeypatch) -> None:
    srv.add_gdrive("BIGFILE", DATA)
    srv.add_gdrive("SMALL", b"tiny", confirm=False)
    monkeypatch.setenv("THTUI_GDRIVE_URL", srv.url("/uc"))
    url = gdrive.resolve("BIGFILE")
    assert "confirm=t" in url and "uuid=u-123" in url
    assert download(url, tmp_path / "big", Expect(sha256=SHA)).read_bytes() == DATA
    assert download(gdrive.resolve("SMALL"), tmp_path / "small", Expect(size=4)).read_bytes() == b"tiny"
    with pytest.raises(DownloadError, match="Google Drive file MISSING"):
        gdrive.resolve("MISSING")


def test_hub_metadata_pins_the_commit_and_the_lfs_sha(
    srv: StandInServer, monkeypatch, tmp_path: Path
) -> None:
    commit = srv.add_hf_repo(
        "org/m", {"w.bin": DATA, "conf/a.json": b"{}", "conf/b.txt": b"b"}, lfs={"w.bin"}
    )
    monkeypatch.setenv("HF_ENDPOINT", srv.url(""))
    f = hf.resolve_file("org/m", "w.bin", "main")
    assert (f.commit, f.expect.sha256, f.expect.size) == (commit, SHA, len(DATA))
    assert f.url.endswith(f"/org/m/resolve/{commit}/w.bin")
    assert hf.fetch(tmp_path, f) == tmp_path / "hf" / "org--m" / commit / "w.bin"
    listed = hf.list_files("org/m", "main", ["conf/*.json"])
    assert [x.path for x in listed] == ["conf/a.json"] and listed[0].expect.git_sha1
    with pytest.raises(DownloadError, match="RepositoryNotFoundError"):
        hf.resolve_file("org/none", "w.bin", "main")
