"""Hugging Face Hub files: huggingface_hub resolves (HF_ENDPOINT, token, revision -> commit, LFS sha256,
tree listing); the bytes come through thtui's resumable downloader.

Why not `hf_hub_download` for the bytes: since huggingface_hub 1.x it writes each download to a
process-unique temp file that is deleted on failure (PR #4228), so a killed setup restarts a 5 GB file
from zero. Fetching `resolve/<commit>/<file>` ourselves keeps `.part` resume, Ctrl-C and progress events
identical for every source. Files are stored per commit, so the same bytes are shared by every solution.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from thtui.core.downloads.hashing import Expect
from thtui.core.downloads.http import DownloadError, ProgressFn, download

_HEX40 = re.compile(r"^[0-9a-f]{40}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def endpoint() -> str:
    """Read at call time (not import time), so HF_ENDPOINT set by a test or a mirror config always counts."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


@dataclass(frozen=True)
class HubFile:
    repo: str
    path: str  # inside the repo
    commit: str  # the revision resolved to a commit: the bytes are pinned
    expect: Expect
    url: str  # resolve URL at that commit


def _hub_error(what: str, exc: Exception) -> DownloadError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return DownloadError(f"Hugging Face {what}: {type(exc).__name__}: {first} (endpoint {endpoint()})")


def _expect_from_etag(etag: str | None, size: int | None) -> Expect:
    etag = (etag or "").strip('"').removeprefix("W/").strip('"')
    if _HEX64.match(etag):
        return Expect(sha256=etag, size=size)  # LFS files: the ETag is the sha256 of the content
    if _HEX40.match(etag):
        return Expect(git_sha1=etag, size=size)  # regular git files: the blob id
    return Expect(size=size)


def resolve_file(repo: str, filename: str, revision: str) -> HubFile:
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    ep = endpoint()
    try:
        meta = get_hf_file_metadata(hf_hub_url(repo, filename, revision=revision, endpoint=ep), endpoint=ep)
    except Exception as exc:  # RepositoryNotFound, EntryNotFound, Gated, connection errors: all one line
        raise _hub_error(f"cannot resolve {repo}/{filename}@{revision}", exc) from None
    if not meta.commit_hash:
        raise DownloadError(f"{ep} did not say which commit {repo}@{revision} is (no X-Repo-Commit header)")
    return HubFile(
        repo,
        filename,
        meta.commit_hash,
        _expect_from_etag(meta.etag, meta.size),
        hf_hub_url(repo, filename, revision=meta.commit_hash, endpoint=ep),
    )


def list_files(repo: str, revision: str, include: list[str]) -> list[HubFile]:
    """Files of `repo` at `revision` matching the `include` globs, each with its LFS sha256 or blob id."""
    from huggingface_hub import HfApi, hf_hub_url
    from huggingface_hub.hf_api import RepoFile
    from huggingface_hub.utils import filter_repo_objects

    ep = endpoint()
    api = HfApi(endpoint=ep)
    try:
        commit = revision if _HEX40.match(revision) else api.repo_info(repo, revision=revision).sha
        entries = [
            f for f in api.list_repo_tree(repo, recursive=True, revision=commit) if isinstance(f, RepoFile)
        ]
    except Exception as exc:
        raise _hub_error(f"cannot list {repo}@{revision}", exc) from None
    chosen = list(filter_repo_objects(entries, allow_patterns=include, key=lambda f: f.path))
    if not chosen:
        raise DownloadError(f"no file of {repo}@{revision} matches {include}")
    out = []
    for f in sorted(chosen, key=lambda f: f.path):
        lfs = f.lfs
        sha = (lfs.sha256 if hasattr(lfs, "sha256") else lfs.get("sha256")) if lfs else None
        expect = Expect(sha256=sha, size=f.size) if sha else Expect(git_sha1=f.blob_id, size=f.size)
        out.append(
            HubFile(repo, f.path, commit, expect, hf_hub_url(repo, f.path, revision=commit, endpoint=ep))
        )
    return out


def store_path(weights_dir: Path, f: HubFile) -> Path:
    return Path(weights_dir) / "hf" / f.repo.replace("/", "--") / f.commit / f.path


def auth_headers() -> dict[str, str]:
    """Authorization from HF_TOKEN or `hf auth login`, when set (gated repos, higher rate limits)."""
    from huggingface_hub.utils import build_hf_headers

    headers = build_hf_headers()
    return {k: v for k, v in headers.items() if k.lower() == "authorization"}


def fetch(
    weights_dir: Path,
    f: HubFile,
    *,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    return download(
        f.url, store_path(weights_dir, f), f.expect, headers=auth_headers(), progress=progress, cancel=cancel
    )
