"""A thtui process under a pseudo-terminal, the way a user's terminal runs it: its own session with the pty
as controlling terminal, so Ctrl+C typed on the master reaches the foreground process group as SIGINT and
closing the master is a hang-up."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from thtui.core.config import repo_root

# A session of its own with the pty as its controlling terminal (setsid + TIOCSCTTY), then exec python
# with the given arguments: what a terminal emulator or sshd does before starting the shell.
_AS_TERMINAL_SESSION = (
    "import fcntl, os, sys, termios; os.setsid(); fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)


class PtyProcess:
    """`python ARGV` (e.g. ["-m", "thtui", "run", ...]) on a fresh pty."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None, cols: int = 100, rows: int = 30):
        import fcntl
        import struct
        import termios

        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _AS_TERMINAL_SESSION, *argv],
            cwd=repo_root(),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**os.environ, "TERM": "xterm-256color", **(env or {})},
            close_fds=True,
        )
        os.close(slave)
        self.output = b""

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", errors="replace")

    def read(self, timeout: float = 0.1) -> None:
        """Drain what the process wrote (a pty whose master is never read blocks its writer)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            ready, _, _ = select.select([self.master], [], [], max(left, 0))
            if not ready:
                return
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the slave side is closed (the process ended)
                return
            if not data:
                return
            self.output += data

    def wait_for(self, predicate: Callable[[], object], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; output:\n{self.text[-3000:]}")
            self.read(0.1)

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    def hang_up(self) -> None:
        """What a dropped SSH connection does: the terminal goes away, so the kernel sends SIGHUP to the
        session leader (and SIGCONT) — closing the master does exactly that for a session leader."""
        os.close(self.master)
        self.master = -1

    def send(self, sig: int) -> None:
        os.kill(self.proc.pid, sig)

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            if self.master >= 0:
                self.read(0.1)
            else:
                time.sleep(0.05)
        if self.master >= 0:
            self.read(0.2)
        return self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        if self.master >= 0:
            os.close(self.master)
            self.master = -1
