"""Weight downloads: resumable HTTP with sha256, Hugging Face Hub files, Google Drive ids.

Every source ends in `http.download`, so `.part` resume, cancel, progress and checksum rules are the
same everywhere: a file is only renamed into place once it matches its sha256 (or git blob id / size).
"""

from thtui.core.downloads.hashing import Expect, check_file, sha256_file
from thtui.core.downloads.http import (
    Cancelled,
    ChecksumMismatch,
    DownloadError,
    download,
    file_lock,
    part_path,
)

__all__ = [
    "Cancelled",
    "ChecksumMismatch",
    "DownloadError",
    "Expect",
    "check_file",
    "download",
    "file_lock",
    "part_path",
    "sha256_file",
]
