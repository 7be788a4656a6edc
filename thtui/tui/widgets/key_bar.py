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
        """Screen keys first, then the global ones (help, quit) and the palette, which always stay: when
        the line is too narrow, screen keys are dropped from its end (whole, never cut mid-word); the
        screen keys 1-4 are left out here because the nav bar on top shows them."""
        key_style = self.get_component_rich_style("key-bar--key")
        text_style = self.get_component_rich_style("key-bar--description")
        local: list[Text] = []
        global_: list[Text] = []
        palette = None
        seen: set[str] = set()
        for node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.action == "command_palette":
                palette = binding
                continue
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            if (binding.id or "").startswith("screen."):
                continue  # 1-4: on the nav bar
            dim = Style(dim=not enabled)
            item = Text.assemble(
                (self.app.get_key_display(binding), key_style + dim),
                (f" {binding.description} ", text_style + dim),
            )
            (global_ if node is self.app else local).append(item)
        if "quit" not in seen:
            # A screen took q for itself (the Run form, where q is a letter): ctrl+q still quits, say so.
            global_.append(Text.assemble(("^q", key_style), (" Quit ", text_style)))
        tail = Text.assemble(*global_)
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            tail.append_text(
                Text.assemble((self.app.get_key_display(palette), key_style), (" palette", text_style))
            )
        room = self.size.width - tail.cell_len
        out = Text(no_wrap=True, overflow="ellipsis")
        for item in local:
            if out.cell_len + item.cell_len > room:
                break
            out.append_text(item)
        out.pad_right(max(0, room - out.cell_len))
        out.append_text(tail)
        out.truncate(self.size.width, overflow="ellipsis")
        return out
