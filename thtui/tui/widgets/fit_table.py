"""Column widths that fit a DataTable's width: fixed columns keep their size and one flexible column takes
the rest, so nothing scrolls sideways at 80 columns and wide terminals show more of the flexible text.
Screens rebuild a table's columns with these widths when it is resized (DataTable has no public way to
resize a column in place)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import DataTable

MAX_EXTRA = 6  # a column grows at most this much beyond its width: wider reads as gaps, not as a table
Column = tuple[str, str, int]  # (label, key, width); the flexible column's width is its minimum


def fitted(
    columns: Sequence[Column], flex: str, total: int, padding: int = 1, max_flex: int | None = None
) -> list[Column]:
    """Widths for `total` cells. With `max_flex`, the flexible column stops growing there and the rest of
    the room goes to the other columns (up to MAX_EXTRA each; any rest stays blank at the right), so on a
    wide terminal the numbers sit next to their names instead of at the far edge of a very wide name."""
    fixed = sum(w + 2 * padding for _label, key, w in columns if key != flex)
    room = total - fixed - 2 * padding
    others = [key for _label, key, _w in columns if key != flex]
    extra = {key: 0 for key in others}
    if max_flex is not None and room > max_flex and others:
        share = min(MAX_EXTRA, (room - max_flex) // len(others))
        extra = {key: share for key in others}
        room = max_flex
    return [(label, key, max(w, room) if key == flex else w + extra[key]) for label, key, w in columns]


def set_columns(table: DataTable, columns: Sequence[Column], flex: str, max_flex: int | None = None) -> None:
    """Clear `table` (rows and columns) and add `columns` fitted to its current width."""
    # Leave room for a vertical scrollbar, which appears when rows overflow.
    total = (table.scrollable_content_region.width or table.size.width or 80) - 2
    table.clear(columns=True)
    for label, key, width in fitted(columns, flex, total, table.cell_padding, max_flex):
        table.add_column(label, key=key, width=width)
