"""Bounded, thread-safe line buffers between worker threads and log views.

Producers (install and job workers) append from any thread; at thousands of lines per second posting one
Textual message per line would swamp the UI, so a buffer only *announces* that it has news (once, until
the UI has looked) and views pull everything new in one `Log.write_lines` call. Memory stays bounded:
each buffer keeps its last `max_lines` lines and views keep their own `max_lines` too.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

DEFAULT_MAX_LINES = 5000


class LogBuffer:
    def __init__(self, key: str, announce: Callable[[str], None], max_lines: int = DEFAULT_MAX_LINES):
        self.key = key
        self._announce = announce
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._written = 0  # lines ever appended: sequence number of the next line
        self._announced = False
        self._lock = threading.Lock()

    def append(self, line: str) -> None:
        self.extend((line,))

    def extend(self, lines: list[str] | tuple[str, ...]) -> None:
        with self._lock:
            self._lines.extend(lines)
            self._written += len(lines)
            announce = not self._announced
            self._announced = True
        if announce:
            self._announce(self.key)

    def acknowledge(self) -> None:
        """The UI has been told; the next append announces again."""
        with self._lock:
            self._announced = False

    def since(self, seq: int) -> tuple[list[str], int]:
        """Lines appended at or after sequence number `seq` (as many as are still kept), and the next seq."""
        with self._lock:
            first = self._written - len(self._lines)
            start = max(seq, first) - first
            lines = list(self._lines)[start:] if start < len(self._lines) else []
            return lines, self._written

    @property
    def written(self) -> int:
        return self._written


class LogHub:
    """All buffers by key ("install:<solution>", "job:<job id>")."""

    def __init__(self, announce: Callable[[str], None], max_lines: int = DEFAULT_MAX_LINES):
        self._announce = announce
        self._max_lines = max_lines
        self._buffers: dict[str, LogBuffer] = {}
        self._lock = threading.Lock()

    def buffer(self, key: str) -> LogBuffer:
        with self._lock:
            buf = self._buffers.get(key)
            if buf is None:
                buf = self._buffers[key] = LogBuffer(key, self._announce, self._max_lines)
            return buf

    def get(self, key: str) -> LogBuffer | None:
        with self._lock:
            return self._buffers.get(key)

    def reset(self, key: str) -> LogBuffer:
        """A fresh, empty buffer (a reinstall starts a new log)."""
        with self._lock:
            buf = self._buffers[key] = LogBuffer(key, self._announce, self._max_lines)
            return buf


class ProgressThrottle:
    """Progress bars redraw one line many times a second (tqdm's \\r). A log keeps one such line per
    `interval` seconds and the last one before any ordinary line, so bars stay visible but bounded."""

    def __init__(self, buffer: LogBuffer, interval: float = 1.0, clock=None):
        import time

        self.buffer = buffer
        self.interval = interval
        self.clock = clock or time.monotonic
        self._pending: str | None = None
        self._last = -1e9

    def line(self, text: str, replace_last: bool = False) -> None:
        if replace_last:
            now = self.clock()
            if now - self._last >= self.interval:
                self._last = now
                self._pending = None
                self.buffer.append(text)
            else:
                self._pending = text
            return
        self.flush()
        self.buffer.append(text)

    def flush(self) -> None:
        if self._pending is not None:
            self.buffer.append(self._pending)
            self._pending = None
