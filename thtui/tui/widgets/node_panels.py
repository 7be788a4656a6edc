"""A cluster run's node GPUs in the Monitor: a GpuPanel per `node:index` (after this machine's panels), and
the width of the tables' gpu columns once they name node GPUs. Reads thtui.tui.node_gpus.NodeBoard."""

from __future__ import annotations

from collections.abc import Callable

from textual.containers import Grid

from thtui.tui import format as fmt
from thtui.tui.node_gpus import NodeBoard
from thtui.tui.widgets.gpu_panel import GpuPanel

GPU_COLUMN_MAX = (7, 14)  # a node's `node:index` in the gpu columns: at most this wide (narrow, wide)
NODE_PANEL = "node-gpu"  # the class of a node GPU's panel


def with_gpu_width(columns: tuple, width: int) -> tuple:
    """`columns` with the gpu column `width` wide; the flexible last column gives up what it took (so a
    narrow table does not scroll sideways), keeping 5 cells."""
    grown = width - 3
    return tuple(
        (label, key, width if key == "gpu" else max(5, w - grown) if i == len(columns) - 1 else w)
        for i, (label, key, w) in enumerate(columns)
    )


class GpuColumn:
    """The width of the Monitor tables' gpu columns: 3 cells, wider once a node's `node:index` shows there
    (the longest seen, up to GPU_COLUMN_MAX for the terminal's width)."""

    def __init__(self) -> None:
        self.need = self.built = 3

    def width(self, narrow: bool) -> int:
        return min(GPU_COLUMN_MAX[0] if narrow else GPU_COLUMN_MAX[1], self.need)

    def grows(self, labels: list[str], narrow: bool) -> bool:
        """Note `labels`; True when the columns must be rebuilt wider (or narrower: the terminal shrank)."""
        self.need = max(self.need, *(len(label) for label in labels), 3)
        return self.width(narrow) != self.built

    def columns(self, columns: tuple, narrow: bool) -> tuple:
        self.built = self.width(narrow)
        return with_gpu_width(columns, self.built)

    def cell(self, label: str) -> str:
        return fmt.ellipsize(label, self.built)


def node_panel_count(board: NodeBoard) -> int:
    return sum(len(v.indices) for v in board.views())


def sync_node_panels(grid: Grid, board: NodeBoard, running: set[str], label: Callable[[str], str]) -> None:
    """Mount, update and remove the node GPUs' panels in `grid` to match `board`: each shows its latest
    reading and history, the job on it (`label(job_id)`) in its bottom border, or that its node is lost."""
    have = {p.id: p for p in grid.query(GpuPanel) if p.has_class(NODE_PANEL)}
    wanted: set[str] = set()
    for view in board.views():
        for index in view.indices:
            panel_id = f"node-gpu-{view.node_id}-{index}"
            wanted.add(panel_id)
            panel = have.get(panel_id)
            if panel is None:
                title = view.label(index) + (" (head)" if view.head else "")
                panel = have[panel_id] = GpuPanel(index, title=title, id=panel_id)
                panel.add_class(NODE_PANEL)
                grid.mount(panel)
            sample = view.sample
            reading = next((g for g in sample.gpus if g.index == index), None) if sample is not None else None
            if view.lost or reading is None:
                panel.show_lost(view.lost or "no reading")
                continue
            series = view.series[index]
            job = board.job_on(view, index, running)
            panel.show(reading, tuple(series.util), tuple(series.mem), label(job) if job else "")
    for panel_id, panel in have.items():
        if panel_id not in wanted:  # its run ended, and its samplers with it
            panel.remove()
