"""Column widths that fit a DataTable's width: fixed columns keep their size and one flexible column takes
the rest, so nothing scrolls sideways at 80 columns and wide terminals show more of the flexible text.
Screens rebuild a table's columns with these widths when it is resized (DataTable has no public way to
resize a column in place)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import DataTable

Column = tuple[str, str, int]  # (label, key, width); the flexible column's width is its minimum


def fitted(columns: Sequence[Column], flex: str, total: int, padding: int = 1) -> list[Column]:
    fixed = sum(w + 2 * padding for _label, key, w in columns if key != flex)
    room = total - fixed - 2 * padding
    return [(label, key, max(w, room) if key == flex else w) for label, key, w in columns]


def set_columns(table: DataTable, columns: Sequence[Column], flex: str) -> None:
    """Clear `table` (rows and columns) and add `columns` fitted to its current width."""
    # Leave room for a vertical scrollbar, which appears when rows overflow.
    total = (table.scrollable_content_region.width or table.size.width or 80) - 2
    table.clear(columns=True)
    for label, key, width in fitted(columns, flex, total, table.cell_padding):
        table.add_column(label, key=key, width=width)
