"""A history graph on a *fixed* scale (0..upper), unlike Textual's Sparkline which stretches min..max.

A flat 98 % load must look full and an idle GPU empty; auto-scaling would draw both as a floor line.
Columns are the newest samples (right-aligned); each row holds eight vertical steps of block glyphs.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.widget import Widget

BLOCKS = " ▁▂▃▄▅▆▇█"
ASCII_BLOCKS = " .:-=+*#@"


class FixedScaleHistory:
    """Rich renderable: `values` (oldest first, None = no reading) drawn into width x height cells."""

    def __init__(
        self,
        values: Sequence[float | None],
        upper: float,
        width: int,
        height: int,
        style: Style | None = None,
        ascii_only: bool = False,
    ):
        self.values = values
        self.upper = upper if upper > 0 else 1.0
        self.width = max(1, width)
        self.height = max(1, height)
        self.style = style or Style()
        self.glyphs = ASCII_BLOCKS if ascii_only else BLOCKS

    def levels(self) -> list[int | None]:
        """Per column, the value in eighths of a cell (0..8*height), newest column last."""
        steps = 8 * self.height
        recent = list(self.values)[-self.width :]
        cols: list[int | None] = [None] * (self.width - len(recent))
        for v in recent:
            if v is None:
                cols.append(None)
                continue
            frac = min(max(v / self.upper, 0.0), 1.0)
            level = round(frac * steps)
            if v > 0 and level == 0:
                level = 1  # any activity is visible
            cols.append(level)
        return cols

    def rows(self) -> list[str]:
        cols = self.levels()
        out = []
        for row in range(self.height):
            floor = 8 * (self.height - 1 - row)  # eighths below this row
            chars = []
            for level in cols:
                if level is None:
                    chars.append(" ")
                else:
                    chars.append(self.glyphs[min(max(level - floor, 0), 8)])
            out.append("".join(chars))
        return out

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for i, line in enumerate(self.rows()):
            yield Segment(line, self.style)
            if i < self.height - 1:
                yield Segment.line()


class HistoryGraph(Widget):
    """Widget around FixedScaleHistory. Assign a new list to `values` each tick (reactive by identity)."""

    DEFAULT_CSS = """
    HistoryGraph { height: 3; width: 1fr; color: $accent; }
    """

    values: reactive[tuple[float | None, ...]] = reactive((), layout=False)
    upper: reactive[float] = reactive(100.0)

    def __init__(
        self,
        upper: float = 100.0,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ):
        super().__init__(name=name, id=id, classes=classes)
        self.upper = upper

    def render(self) -> FixedScaleHistory:
        return FixedScaleHistory(
            self.values,
            self.upper,
            self.size.width,
            self.size.height,
            ascii_only=getattr(self.app, "ascii_only", False),
        )
