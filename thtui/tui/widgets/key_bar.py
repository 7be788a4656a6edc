"""The bottom line: the keys that work right now (focused widget first, then the screen, then global).

Textual's Footer builds a widget per key and rebuilds them all whenever the bindings change, which is on
every screen switch: about 20 ms of work per switch on a small machine (benchmarks/tui_latency.py).
This draws the same line as one piece of text, so a switch costs one repaint.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget):
    DEFAULT_CSS = """
    KeyBar { height: 1; dock: bottom; background: $panel; color: $text; }
    KeyBar > .key-bar--key { color: $accent; text-style: bold; }
    KeyBar > .key-bar--description { color: $text; }
    """
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is self.screen:
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        text_style = self.get_component_rich_style("key-bar--description")
        out = Text(no_wrap=True, overflow="ellipsis")
        palette = None
        seen: set[str] = set()
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.action == "command_palette":
                palette = binding
                continue
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            dim = Style(dim=not enabled)
            out.append(self.app.get_key_display(binding), key_style + dim)
            out.append(f" {binding.description} ", text_style + dim)
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            tail = Text.assemble((self.app.get_key_display(palette), key_style), (" palette", text_style))
            room = self.size.width - tail.cell_len - 1
            if room > 0:
                out.truncate(room, overflow="ellipsis", pad=True)
                out.append_text(tail)
        return out
