"""Is a folder usable before anything is created in it? One check every command runs first.

A read-only outputs dir used to surface as `sqlite3.OperationalError`, THTUI_OUTPUTS=/proc/x as
`FileNotFoundError`, a THTUI_HOME that is a file as `NotADirectoryError` half-way through a run. Each
destination (data root, outputs dir, cache, a report or speech file) is checked here first and a problem
comes back as one `PathProblem` line naming the path, what is wrong and what to do.

Writability is probed by creating (and removing) a temporary file, not with os.access: as root, access()
says yes to a chmod 0500 folder and to a read-only mount alike. A folder that does not exist yet is not
created here (nothing half-made when the check fails): its nearest existing parent must accept it.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

# Below this, doctor warns: one talking-head run writes a few hundred MB (videos, logs, intermediate
# frames), a setup several GB; the threshold only catches a nearly full disk.
LOW_FREE_BYTES = 1 << 30


class PathProblem(OSError):
    """A destination that cannot be used; the message is one line for the user. An OSError, so code that
    already handles a failed write (the TUI's report export) shows this message the same way."""

    def __init__(self, message: str, path: Path | str):
        super().__init__(message)
        self.path = Path(path)

    def __str__(self) -> str:
        return str(self.args[0])


def _why(exc: OSError) -> str:
    if exc.errno in (errno.EROFS,):
        return "it is on a read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "it is not writable (permission denied)"
    if exc.errno == errno.ENOSPC:
        return "its disk is full"
    if exc.errno == errno.ENOENT:  # /proc and other virtual file systems refuse new entries this way
        return "nothing can be created there"
    return exc.strerror or str(exc)


def _probe(folder: Path) -> OSError | None:
    """Create and remove a file in `folder`; the error if that fails."""
    import tempfile  # here: the CLI imports this module at start-up, and tempfile pulls in random

    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".thtui-write-check-")
    except OSError as exc:
        return exc
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(name)
    return None


def _nearest_existing(path: Path) -> Path:
    for parent in (path, *path.parents):
        if os.path.lexists(parent):
            return parent
    return Path(path.anchor or "/")


def check_writable_dir(path: Path | str, role: str, how_to_change: str = "") -> Path:
    """`path` is (or can be made as) a folder thtui can write in; raise PathProblem otherwise.

    `role` names the folder for the user ("outputs dir"), `how_to_change` says how to point it elsewhere
    ("--outputs DIR or THTUI_OUTPUTS"). Creates nothing that stays."""
    path = Path(path).expanduser()
    fix = f"; choose another with {how_to_change}" if how_to_change else ""
    try:
        if path.exists():
            if not path.is_dir():
                raise PathProblem(f"{role} {path} is a file, not a folder{fix or '; give a folder'}", path)
            exc = _probe(path)
            if exc is not None:
                raise PathProblem(
                    f"{role} {path} cannot be written: {_why(exc)}; make it writable{fix.replace(';', ' or')}",
                    path,
                )
            return path
        if os.path.lexists(path):  # a dangling or looping symlink
            raise PathProblem(f"{role} {path} is a broken symlink{fix or '; give a folder'}", path)
        parent = _nearest_existing(path.parent)
        if not parent.is_dir():
            what = "a broken symlink or a symlink loop" if parent.is_symlink() else "a file, not a folder"
            raise PathProblem(f"{role} {path} cannot be created: {parent} is {what}{fix}", path)
        exc = _probe(parent)
        if exc is not None:
            raise PathProblem(
                f"{role} {path} cannot be created in {parent}: {_why(exc)}{fix or '; choose another folder'}",
                path,
            )
    except PathProblem:
        raise
    except OSError as exc:  # a symlink loop, a name too long, an unreadable parent
        raise PathProblem(f"{role} {path} cannot be used: {_why(exc)}{fix}", path) from None
    return path


def check_output_file(path: Path | str, role: str, suffix: str = "") -> Path:
    """A file about to be written (a report, a WAV): not a folder, and its folder writable. Creates nothing.
    `suffix` makes the example in the message concrete (".wav")."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise PathProblem(
            f"{role} {path} is a folder; give a file name, e.g. {path / ('out' + suffix)}", path
        )
    if path.exists() and not path.is_file():
        raise PathProblem(f"{role} {path} exists and is not a regular file", path)
    check_writable_dir(path.parent, f"{role}'s folder")
    return path


def free_bytes(path: Path | str) -> int | None:
    """Free space on the file system holding `path` (or its nearest existing parent); None if unknown."""
    import shutil

    try:
        return shutil.disk_usage(_nearest_existing(Path(path))).free
    except OSError:
        return None


def ensure_dir(path: Path | str, role: str, how_to_change: str = "") -> Path:
    """check_writable_dir, then create it (parents too)."""
    path = check_writable_dir(path, role, how_to_change)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PathProblem(f"{role} {path} cannot be created: {_why(exc)}", path) from None
    return path
