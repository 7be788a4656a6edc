"""Fold terminal output into lines: carriage-return progress bars (tqdm) become one updating line.

`LineFolder.feed(text)` returns `(line, replace_last, final)` updates:
- replace_last=True: this line replaces the previous update of the same line (a progress bar redraw);
- final=True: the line is complete (ended by a newline); only final lines go to log.txt, so a bar that
  redrew a thousand times leaves one line in the file, in its last state.
ANSI escape sequences (colours, cursor moves tqdm uses for nested bars) are stripped.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)%\|")  # tqdm: " 42%|████  | 21/50 [...]"
_COUNT = re.compile(r"(?<![\d.])(\d+)/(\d+)\s*\[")


@dataclass(frozen=True)
class LineUpdate:
    line: str
    replace_last: bool
    final: bool


class LineFolder:
    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""  # text after the last \n or \r
        self._shown = False  # the current (unfinished) line has already been emitted as an update
        self._last = ""  # the text of that emitted update

    def feed_bytes(self, data: bytes) -> list[LineUpdate]:
        return self.feed(self._decoder.decode(data))

    def feed(self, text: str) -> list[LineUpdate]:
        out: list[LineUpdate] = []
        for piece in re.split(r"(\r\n|\r|\n)", text):
            if piece in ("\n", "\r\n"):
                # "bar\r" then "\n" (a split \r\n, or tqdm closing a bar): the bar's last state is final.
                line = _clean(self._pending) or (self._last if self._shown else "")
                out.append(LineUpdate(line, replace_last=self._shown, final=True))
                self._pending, self._shown = "", False
            elif piece == "\r":
                line = _clean(self._pending)
                if line:  # "\r" then text: the text redraws this line
                    out.append(LineUpdate(line, replace_last=self._shown, final=False))
                    self._shown, self._last = True, line
                self._pending = ""
            else:
                self._pending += piece
        return out

    def flush(self) -> list[LineUpdate]:
        """End of stream: whatever is left is the line's last state."""
        rest = self._decoder.decode(b"", final=True)
        if rest:
            self._pending += rest
        line = _clean(self._pending) or (self._last if self._shown else "")
        out = [LineUpdate(line, replace_last=self._shown, final=True)] if line else []
        self._pending, self._shown = "", False
        return out


def _clean(text: str) -> str:
    return _ANSI.sub("", text).rstrip()


def progress_fraction(line: str) -> float | None:
    """0..1 from a tqdm-style line ("42%|" or "21/50 ["), else None."""
    m = _PERCENT.search(line)
    if m:
        return min(1.0, float(m.group(1)) / 100.0)
    m = _COUNT.search(line)
    if m and int(m.group(2)) > 0:
        return min(1.0, int(m.group(1)) / int(m.group(2)))
    return None
