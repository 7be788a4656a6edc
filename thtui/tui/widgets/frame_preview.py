"""A video frame in the terminal: two pixels per cell with the upper-half block (fg = top, bg = bottom).

The pixels arrive already scaled (a worker decodes and shrinks the frame); drawing is pure. Without colour
(NO_COLOR, or a monochrome terminal) a luminance ramp keeps the picture recognisable.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.widget import Widget

RGB = tuple[int, int, int]
Pixels = Sequence[Sequence[RGB]]  # rows of (r, g, b), an even number of rows
RAMP = " .:-=+*#%@"


def luminance(p: RGB) -> float:
    return (0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]) / 255


class HalfBlockImage:
    def __init__(self, pixels: Pixels, colour: bool = True):
        self.pixels = pixels
        self.colour = colour

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rows = self.pixels
        for y in range(0, len(rows) - 1, 2):
            top, bottom = rows[y], rows[y + 1]
            if self.colour:
                for a, b in zip(top, bottom, strict=False):
                    yield Segment("▀", Style(color=Color.from_rgb(*a), bgcolor=Color.from_rgb(*b)))
            else:
                yield Segment("".join(RAMP[min(len(RAMP) - 1, int(luminance(a) * len(RAMP)))] for a in top))
            yield Segment.line()


class FramePreview(Widget):
    DEFAULT_CSS = """
    FramePreview { width: auto; height: auto; min-width: 8; min-height: 2; }
    """

    pixels: reactive[tuple[tuple[RGB, ...], ...] | None] = reactive(None, layout=True)
    message: reactive[str] = reactive("no preview")

    def render(self) -> HalfBlockImage | str:
        if not self.pixels:
            return self.message
        return HalfBlockImage(self.pixels, colour=not getattr(self.app, "no_color", False))

    def get_content_width(self, container, viewport) -> int:  # type: ignore[override]
        return len(self.pixels[0]) if self.pixels else len(self.message)

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[override]
        return len(self.pixels) // 2 if self.pixels else 1
