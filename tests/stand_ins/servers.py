"""One local HTTP server (127.0.0.1 only, a daemon thread) standing in for the internet.

    srv = StandInServer().start()
    srv.add_file("/w/model.bin", data)                   plain file, Range + 206, ETag
    srv.add_hf_repo("org/model", {"a.bin": data}, lfs={"a.bin"})  Hub API + resolve (set HF_ENDPOINT=srv.url(""))
    srv.add_gdrive("FILEID", data)                        /uc?export=download&id=FILEID with the confirm form
    srv.add_simple_package("torch", wheel_path)           PEP 503 index at srv.url("/simple/")
    srv.throttle = (65536, 0.02)                          send 64 kB every 20 ms (for kill-mid-download tests)
    srv.requests                                          [(method, path, headers)] seen so far

The Hub part serves what huggingface_hub 2.x reads: HEAD/GET /<repo>/resolve/<rev>/<file> with
X-Repo-Commit, ETag (the LFS sha256, or the git blob id), Content-Length, Accept-Ranges;
/api/models/<repo>/revision/<rev> ({"sha": ...}); /api/models/<repo>/tree/<rev>?recursive=... (files
with oid/size/lfs). Unknown repos and files answer 404 with X-Error-Code like the Hub.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


@dataclass
class Served:
    data: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class HubRepo:
    commit: str
    files: dict[str, bytes]
    lfs: set[str]


def git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class StandInServer:
    def __init__(self) -> None:
        self.files: dict[str, Served] = {}
        self.hub: dict[str, HubRepo] = {}
        self.gdrive: dict[str, tuple[bytes, bool]] = {}
        self.simple: dict[str, list[Path]] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.throttle: tuple[int, float] | None = None
        self.fail_after: dict[str, int] = {}  # path -> drop the connection after this many bytes (once)
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> StandInServer:
        owner = self

        class Handler(_Handler):
            server_owner = owner

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def base(self) -> str:
        assert self._httpd is not None, "start() first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    # -- content ---------------------------------------------------------------------------------------
    def add_file(self, path: str, data: bytes, headers: dict[str, str] | None = None) -> str:
        self.files[path] = Served(data, headers or {})
        return self.url(path)

    def add_hf_repo(
        self, repo: str, files: dict[str, bytes], *, lfs: set[str] | None = None, commit: str | None = None
    ) -> str:
        commit = commit or hashlib.sha1((repo + "".join(sorted(files))).encode()).hexdigest()
        self.hub[repo] = HubRepo(commit, dict(files), set(files) if lfs is None else set(lfs))
        return commit

    def add_gdrive(self, file_id: str, data: bytes, *, confirm: bool = True) -> None:
        self.gdrive[file_id] = (data, confirm)

    def add_simple_package(self, name: str, *dists: Path) -> str:
        self.simple.setdefault(name.lower().replace("_", "-"), []).extend(dists)
        return self.url("/simple/")

    def ranges_for(self, path_prefix: str) -> list[str]:
        return [h.get("Range", "") for m, p, h in self.requests if p.startswith(path_prefix) and m == "GET"]


class _Handler(BaseHTTPRequestHandler):
    server_owner: StandInServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    # -- plumbing ----------------------------------------------------------------------------------------
    def _record(self) -> None:
        with self.server_owner._lock:
            self.server_owner.requests.append((self.command, self.path, dict(self.headers)))

    def _reply(self, code: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, data: object, headers: dict[str, str] | None = None) -> None:
        self._reply(200, json.dumps(data).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _not_found(self, code: str = "EntryNotFound", extra: dict[str, str] | None = None) -> None:
        self._reply(
            404,
            b'{"error": "not found"}',
            {"Content-Type": "application/json", "X-Error-Code": code, **(extra or {})},
        )

    def _bytes(self, data: bytes, headers: dict[str, str]) -> None:
        """Serve `data` honouring `Range: bytes=N-[M]`, throttled when the owner says so."""
        total, start, end = len(data), 0, len(data) - 1
        rng = self.headers.get("Range")
        code = 200
        m = re.match(r"bytes=(\d+)-(\d*)$", rng or "")
        if m:
            start = int(m.group(1))
            end = int(m.group(2)) if m.group(2) else total - 1
            if start >= total:
                self._reply(416, b"", {"Content-Range": f"bytes */{total}"})
                return
            code = 206
        body = data[start : end + 1]
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body)))
        if code == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{total}")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        owner = self.server_owner
        drop = owner.fail_after.pop(urlparse(self.path).path, None)
        step, delay = owner.throttle or (len(body) or 1, 0.0)
        sent = 0
        try:
            for i in range(0, len(body), step):
                chunk = body[i : i + step]
                if drop is not None and sent + len(chunk) > drop:
                    self.wfile.write(chunk[: max(0, drop - sent)])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(chunk)
                sent += len(chunk)
                if delay:
                    self.wfile.flush()
                    time.sleep(delay)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- routes --------------------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self._record()
        url = urlparse(self.path)
        path, query = unquote(url.path), parse_qs(url.query)
        owner = self.server_owner
        if path in owner.files:
            f = owner.files[path]
            etag = '"' + hashlib.sha256(f.data).hexdigest()[:16] + '"'
            return self._bytes(f.data, {"ETag": etag, **f.headers})
        if path == "/uc" or path == "/download":
            return self._gdrive(path, query)
        if path.startswith("/simple/"):
            return self._simple(path)
        if path.startswith("/packages/"):
            name = path.rsplit("/", 1)[1]
            for dists in owner.simple.values():
                for d in dists:
                    if d.name == name:
                        return self._bytes(d.read_bytes(), {})
            return self._not_found()
        if path.startswith("/api/models/"):
            return self._hub_api(path[len("/api/models/") :], query)
        m = re.match(r"^/(.+?/.+?)/resolve/([^/]+)/(.+)$", path)
        if m:
            return self._hub_resolve(*m.groups())
        self._not_found()

    def _hub_repo(self, repo: str) -> HubRepo | None:
        return self.server_owner.hub.get(repo)

    def _hub_api(self, rest: str, query: dict) -> None:
        m = re.match(r"^(.+?/.+?)/(revision|tree)/([^/]+)(/.*)?$", rest)
        repo = self._hub_repo(m.group(1)) if m else None
        if m is None or repo is None:
            return self._not_found("RepoNotFound")
        rev = m.group(3)
        if rev not in ("main", repo.commit):
            return self._not_found("RevisionNotFound")
        if m.group(2) == "revision":
            siblings = [{"rfilename": p} for p in sorted(repo.files)]
            return self._json(
                {"id": m.group(1), "modelId": m.group(1), "sha": repo.commit, "siblings": siblings}
            )
        entries = []
        for p, data in sorted(repo.files.items()):
            e = {"type": "file", "oid": git_blob_id(data), "size": len(data), "path": p}
            if p in repo.lfs:
                e["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
            entries.append(e)
        self._json(entries)

    def _hub_resolve(self, repo_id: str, rev: str, filename: str) -> None:
        repo = self._hub_repo(repo_id)
        if repo is None:
            return self._not_found("RepoNotFound")
        if rev not in ("main", repo.commit):
            return self._not_found("RevisionNotFound")
        if filename not in repo.files:
            return self._not_found("EntryNotFound", {"X-Repo-Commit": repo.commit})
        data = repo.files[filename]
        etag = hashlib.sha256(data).hexdigest() if filename in repo.lfs else git_blob_id(data)
        self._bytes(data, {"X-Repo-Commit": repo.commit, "ETag": f'"{etag}"'})

    def _gdrive(self, path: str, query: dict) -> None:
        file_id = (query.get("id") or [""])[0]
        if file_id not in self.server_owner.gdrive:
            page = b'<html><title>Google Drive - 404</title><p class="uc-error-subcaption">File not found</p></html>'
            return self._reply(404, page, {"Content-Type": "text/html"})
        data, confirm = self.server_owner.gdrive[file_id]
        if path == "/uc" and confirm:
            # The large-file interstitial: a form whose hidden fields carry the confirm token.
            form = (
                "<html><head><title>Google Drive - Virus scan warning</title></head><body>"
                '<form id="download-form" action="{action}" method="get">'
                '<input type="hidden" name="id" value="{id}"><input type="hidden" name="export" value="download">'
                '<input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="u-123">'
                "</form></body></html>"
            ).format(action=html.escape(self.server_owner.url("/download")), id=html.escape(file_id))
            return self._reply(200, form.encode(), {"Content-Type": "text/html; charset=utf-8"})
        if path == "/download" and confirm and (query.get("confirm") or [""])[0] != "t":
            return self._reply(403, b"<html><title>no confirm</title></html>", {"Content-Type": "text/html"})
        self._bytes(data, {"Content-Disposition": f'attachment; filename="{file_id}.bin"'})

    def _simple(self, path: str) -> None:
        name = path[len("/simple/") :].strip("/").lower().replace("_", "-")
        dists = self.server_owner.simple.get(name)
        if not dists:
            return self._reply(404, b"<html>not found</html>", {"Content-Type": "text/html"})
        links = "".join(f'<a href="/packages/{d.name}">{d.name}</a><br>' for d in dists)
        self._reply(200, f"<html><body>{links}</body></html>".encode(), {"Content-Type": "text/html"})
