"""Checking and ending the processes a test started (the stand-in writes its children's pids to a file)."""

from __future__ import annotations

import contextlib

import psutil


def alive(pids: list[int]) -> list[int]:
    """The pids still running (zombies, already dead but not reaped, do not count)."""
    out = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                out.append(pid)
        except psutil.Error:
            pass
    return out


def kill_leftovers(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(psutil.Error):
            psutil.Process(pid).kill()
