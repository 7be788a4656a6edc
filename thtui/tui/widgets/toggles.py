"""Check boxes, radio buttons and selection lists whose state is readable without colour.

Textual draws the same glyph for on and off and tells them apart by colour only, which disappears
under NO_COLOR and on monochrome terminals. These draw 'x' / '•' when on and a blank when off."""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip
from textual.widgets import Checkbox, RadioButton, SelectionList


class PlainCheckbox(Checkbox):
    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802 (Textual's name)
        return "x" if self.value else " "


class PlainRadioButton(RadioButton):
    @property
    def BUTTON_INNER(self) -> str:  # type: ignore[override]  # noqa: N802
        return "•" if self.value else " "


class PlainSelectionList(SelectionList):
    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        segments = list(strip)
        _, scroll_y = self.scroll_offset
        try:
            selection = self.get_option_at_index(scroll_y + y)
        except Exception:
            return strip
        if len(segments) < 2:
            return strip
        inner = segments[1]
        mark = "-" if selection.disabled else ("x" if selection.value in self._selected else " ")
        segments[1] = Segment(mark, inner.style, inner.control)
        return Strip(segments, strip.cell_length)
