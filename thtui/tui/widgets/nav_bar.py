"""The top line: every screen with its key, the current one highlighted, and what is busy right now.

The Footer lists the focused screen's actions first; at 80 columns the global keys may fall off its end,
so the screen keys are always visible here too.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

SCREENS = (
    ("1", "solutions", "Solutions"),
    ("2", "run", "Run"),
    ("3", "monitor", "Monitor"),
    ("4", "results", "Results"),
)


class NavBar(Widget):
    DEFAULT_CSS = """
    NavBar { height: 1; background: $panel; color: $text; }
    """

    current: reactive[str] = reactive("solutions")
    busy: reactive[str] = reactive("")

    def on_mount(self) -> None:
        # The App keeps a one-line summary of running installs and jobs ("busy_summary").
        if hasattr(self.app, "busy_summary"):
            self.watch(self.app, "busy_summary", self._set_busy)

    def _set_busy(self, value: str) -> None:
        self.busy = value

    def render(self) -> Text:
        text = Text(" thtui ", style="bold reverse")
        for key, mode, title in SCREENS:
            label = f" {key} {title} "
            if mode == self.current:
                text.append(f"[{key} {title}]", style="bold reverse")
            else:
                text.append(label)
        text.append(" ? help")
        if self.busy:
            room = self.size.width - text.cell_len - 3  # keep two spaces before it, one after
            if room > 4:
                busy = self.busy if len(self.busy) <= room else self.busy[: room - 1] + "…"
                text.append(" " * (room - len(busy) + 2) + busy + " ", style="bold")
        return text
