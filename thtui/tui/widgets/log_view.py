"""A live log that follows one LogBuffer: batched `write_lines`, bounded by `max_lines`.

Textual's `Log` stores plain strings and renders only the visible lines, so thousands of lines per second
cost one `write_lines` per UI refresh, not one render per line. It keeps following the end unless the user
has scrolled up (Log only auto-scrolls when the view is already at the bottom).
"""

from __future__ import annotations

from textual.widgets import Log

from thtui.tui.loghub import LogBuffer

VIEW_MAX_LINES = 2000
PULL_INTERVAL = 0.1  # s: at most ten batched writes a second, however fast the producer is


class LogView(Log):
    DEFAULT_CSS = """
    LogView { height: 1fr; border: round $panel; scrollbar-size: 1 1; }
    LogView:focus { border: round $accent; }
    """

    def __init__(self, *, placeholder: str = "", id: str | None = None, classes: str | None = None):
        super().__init__(max_lines=VIEW_MAX_LINES, auto_scroll=True, highlight=False, id=id, classes=classes)
        self._buffer: LogBuffer | None = None
        self._seq = 0
        self._placeholder = placeholder
        self._pull_scheduled = False

    @property
    def following(self) -> str | None:
        return self._buffer.key if self._buffer else None

    def follow(self, buffer: LogBuffer | None, *, placeholder: str | None = None) -> None:
        """Show `buffer` from what it still holds, then keep up with it (None: show the placeholder)."""
        if placeholder is not None:
            self._placeholder = placeholder
        if buffer is self._buffer and buffer is not None:
            self.pull()
            return
        self._buffer = buffer
        self._seq = 0
        self.clear()
        if buffer is None:
            if self._placeholder:
                self.write_line(self._placeholder)
            return
        self.pull()

    def request_pull(self) -> None:
        """New lines are waiting: write them on the next tick (a flood becomes ~10 writes a second, each
        a single write_lines; Log measures widths in a worker per write, so fewer writes matter)."""
        if not self._pull_scheduled:
            self._pull_scheduled = True
            self.set_timer(PULL_INTERVAL, self._scheduled_pull)

    def _scheduled_pull(self) -> None:
        self._pull_scheduled = False
        if not self.screen.is_current:
            # Nobody sees it: leave the lines in the (bounded) buffer; the screen pulls on resume.
            return
        self.pull()

    def pull(self) -> int:
        """Write every line the buffer got since the last pull; returns how many."""
        if self._buffer is None:
            return 0
        lines, self._seq = self._buffer.since(self._seq)
        if lines:
            self.write_lines(lines)
        return len(lines)

    def write_lines(self, lines, scroll_end: bool | None = None):  # type: ignore[override]
        """Long lines are wrapped to the pane's width as they are written (Log itself never wraps, and a
        tool's one-line error would otherwise run off the right edge, readable only by scrolling)."""
        # One cell spare: a vertical scrollbar may appear once the pane fills up.
        width = (self.scrollable_content_region.width or self.size.width - 2) - 1
        return super().write_lines(list(wrap_lines(lines, width)), scroll_end)

    def show_text(self, text: str) -> None:
        """Static content (a log file's tail, an error): stops following."""
        self._buffer = None
        self.clear()
        self.write_lines(text.splitlines() or [""])


def wrap_lines(lines, width: int):
    """Split lines longer than `width` cells into pieces (hard breaks: logs are paths and tracebacks,
    not prose). Wide characters (CJK) are measured, so a piece never runs past the edge."""
    from rich.cells import cell_len, chop_cells

    for line in lines:
        if width < 8 or len(line) <= width and (line.isascii() or cell_len(line) <= width):
            yield line
        elif line.isascii():
            yield from (line[i : i + width] for i in range(0, len(line), width))
        else:
            yield from chop_cells(line, width)
