"""Google Drive files by id, including the large-file interstitial ("can't scan this file for viruses")
whose form carries the confirm token. The resolved URL then goes through the resumable downloader."""

from __future__ import annotations

import html as html_lib
import os
import re
from urllib.parse import urlencode, urljoin

from thtui.core.downloads.http import DownloadError, open_url

DEFAULT_URL = "https://drive.google.com/uc"


def base_url() -> str:
    """THTUI_GDRIVE_URL points at a mirror (or a local stand-in in tests), like HF_ENDPOINT does for the Hub."""
    return os.environ.get("THTUI_GDRIVE_URL", DEFAULT_URL)


def _form_url(page: str, page_url: str) -> str | None:
    form = re.search(r'<form[^>]*id="download-form"[^>]*action="([^"]+)"[^>]*>(.*?)</form>', page, re.S)
    if not form:
        return None
    fields = dict(
        re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form.group(2))
    )
    action = urljoin(page_url, html_lib.unescape(form.group(1)))
    return f"{action}?{urlencode({k: html_lib.unescape(v) for k, v in fields.items()})}"


def _confirm_link(page: str, page_url: str) -> str | None:
    m = re.search(r'href="([^"]*confirm=[0-9A-Za-z_-]+[^"]*)"', page)
    return urljoin(page_url, html_lib.unescape(m.group(1))) if m else None


def _reason(page: str) -> str:
    for pattern in (r'<p class="uc-error-subcaption">(.*?)</p>', r"<title>(.*?)</title>"):
        m = re.search(pattern, page, re.S)
        if m:
            return re.sub(r"<[^>]+>|\s+", " ", html_lib.unescape(m.group(1))).strip()
    return "an HTML page instead of the file"


def resolve(file_id: str, *, timeout: float = 30.0) -> str:
    """The URL that serves the bytes of Drive file `file_id` (and honours Range)."""
    url = f"{base_url()}?{urlencode({'export': 'download', 'id': file_id})}"
    for _ in range(4):
        try:
            resp = open_url(url, timeout=timeout)
        except Exception as exc:
            raise DownloadError(f"Google Drive file {file_id}: {exc}") from None
        with resp:
            if "text/html" not in resp.headers.get("Content-Type", ""):
                return resp.geturl()  # the file itself; closed unread, fetched again with Range
            page = resp.read(2_000_000).decode("utf-8", "replace")
            page_url = resp.geturl()
        nxt = _form_url(page, page_url) or _confirm_link(page, page_url)
        if not nxt:
            raise DownloadError(f"Google Drive file {file_id}: {_reason(page)}")
        url = nxt
    raise DownloadError(f"Google Drive file {file_id}: too many confirmation pages")
