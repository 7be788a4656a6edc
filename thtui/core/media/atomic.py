"""Write files atomically: a temp name in the destination's directory, renamed into place on success,
removed on any failure. Readers (and the user) never see half-written media under the final name."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(dest: Path | str) -> Iterator[Path]:
    """Yield a fresh temp path beside `dest` (same extension); rename it to `dest` when the block ends."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # A plain ASCII temp name: the destination's own name may be anything the user typed. Created
    # with O_EXCL and mode 0o666 (not mkstemp's 0o600) so the result gets the user's usual umask.
    while True:
        tmp = dest.parent / f".thtui-tmp-{secrets.token_hex(6)}{dest.suffix.lower()}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise OSError(f"nothing was written for {dest}")
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(dest: Path | str, data: bytes) -> Path:
    with atomic_output(dest) as tmp:
        tmp.write_bytes(data)
    return Path(dest)


def write_text_atomic(dest: Path | str, text: str) -> Path:
    return write_bytes_atomic(dest, text.encode("utf-8"))
