"""One panel per GPU (utilisation and memory history on fixed scales, temperature, power) and one for
the host (CPU and RAM). Panels draw readings they are handed; the monitor thread does the reading."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from thtui.tui import format as fmt
from thtui.tui.widgets.history_graph import HistoryGraph


def _pct(value: float | None, total: float | None) -> float | None:
    if value is None or not total:
        return None
    return 100.0 * value / total


class MetricRow(Horizontal):
    """'label value' on the left, a fixed-scale history on the right."""

    DEFAULT_CSS = """
    MetricRow { height: auto; }
    MetricRow > Static { height: 1; width: 18; }
    """

    def __init__(self, label: str, upper: float, *, id: str | None = None):
        super().__init__(id=id)
        self.label = label
        self.upper = upper

    def compose(self) -> ComposeResult:
        yield Static(f"{self.label} —", classes="metric-value")
        yield HistoryGraph(self.upper, classes="metric-graph")

    def show(self, value_text: str, values: Sequence[float | None], upper: float | None = None) -> None:
        self.query_one(".metric-value", Static).update(f"{self.label} {value_text}")
        graph = self.query_one(HistoryGraph)
        if upper:
            graph.upper = upper
        graph.values = tuple(values)


class GpuPanel(Vertical):
    """A GPU of this machine (`GPU 0`), or of a cluster node (`title` = `node:index`, the job on it in the
    bottom border; `show_lost` when the node left: no numbers, never its last ones)."""

    DEFAULT_CSS = """
    GpuPanel { height: auto; border: round $panel; padding: 0 1; }
    GpuPanel > .panel-title { height: 1; text-style: bold; }
    GpuPanel.-lost { border: round $error; }
    GpuPanel.-lost > .panel-title { color: $error; }
    """

    def __init__(self, index: int, *, title: str | None = None, id: str | None = None):
        super().__init__(id=id, classes="gpu-panel")
        self.index = index
        self.title = title
        self._pending: tuple | None = None
        self._ready = False
        self.border_title = title or f"GPU {index}"

    def compose(self) -> ComposeResult:
        yield Static("", classes="panel-title")
        yield MetricRow("util", 100.0, id="util")
        yield MetricRow("mem ", 1.0, id="mem")

    def on_mount(self) -> None:
        self._ready = True
        if self._pending is not None:
            show, args = self._pending
            show(*args)

    def show(self, reading, util: Sequence[float | None], mem: Sequence[float | None], job: str = "") -> None:
        if not self._ready:  # the first reading can arrive before the panel has its rows
            self._pending = (self.show, (reading, util, mem, job))
            return
        temp = f"{reading.temp_c:.0f}°C" if reading.temp_c is not None else "temp n/a"
        power = f"{reading.power_w:.0f} W" if reading.power_w is not None else "power n/a"
        self.remove_class("-lost")
        self.border_title = self.title or f"GPU {reading.index}"
        self.border_subtitle = job
        self.query_one(".panel-title", Static).update(f"{reading.name}  {temp}  {power}")
        self.query_one("#util", MetricRow).show(f"{fmt.percent(reading.util_pct):>4}", util)
        total = reading.mem_total
        used = fmt.size_bytes(reading.mem_used) if reading.mem_used is not None else "n/a"
        mem_text = f"{used}/{fmt.size_bytes(total)}" if total else used
        self.query_one("#mem", MetricRow).show(mem_text, mem, upper=float(total) if total else None)

    def show_lost(self, reason: str) -> None:
        """The GPU's node left the cluster: say so, and show no reading (its last ones are not current)."""
        if not self._ready:
            self._pending = (self.show_lost, (reason,))
            return
        self.add_class("-lost")
        self.border_subtitle = ""
        self.query_one(".panel-title", Static).update(f"no readings: {reason}")
        self.query_one("#util", MetricRow).show("   —", ())
        self.query_one("#mem", MetricRow).show("—", ())


class HostPanel(Vertical):
    DEFAULT_CSS = """
    HostPanel { height: auto; border: round $panel; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id, classes="host-panel")
        self.border_title = "host"

    def compose(self) -> ComposeResult:
        yield Static("", classes="panel-title")
        yield MetricRow("cpu ", 100.0, id="cpu")
        yield MetricRow("ram ", 1.0, id="ram")

    def show(self, host, cpu: Sequence[float | None], ram: Sequence[float | None], note: str = "") -> None:
        self.query_one(".panel-title", Static).update(note or f"{host.cpu_count} CPU cores")
        self.query_one("#cpu", MetricRow).show(f"{host.cpu_pct:>4.0f}%", cpu)
        self.query_one("#ram", MetricRow).show(
            f"{fmt.size_bytes(host.ram_used)}/{fmt.size_bytes(host.ram_total)}",
            ram,
            upper=float(host.ram_total),
        )
