"""F1 / ?: every key of the current screen and the global ones, generated from the live bindings so it
can never drift from what the keys actually do."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

INTRO = (
    "thtui installs, runs and benchmarks talking-head systems. Everything works from the keyboard; "
    "ctrl+p opens the command palette, which lists every action by name."
)

TIPS = (
    "Tab / shift+tab move between fields; enter activates; escape closes dialogs.",
    "Over SSH: run inside tmux so jobs survive a dropped connection (set -g default-terminal tmux-256color).",
    "NO_COLOR=1 gives a monochrome UI; THTUI_ASCII=1 draws graphs with plain ASCII.",
)


def binding_rows(screen: Screen) -> list[tuple[str, str, str]]:
    """(where, keys, what) for every binding with a description, focused widget first, app last;
    several keys for the same action share a row ("q ^q")."""
    seen: set[str] = set()
    rows: dict[tuple[str, str], list[str]] = {}
    for node, bindings in screen._modal_binding_chain:
        where = "global" if node is screen.app else type(node).__name__.removesuffix("Screen")
        ours = _declared_by_thtui(type(node))
        for key, binding in bindings:
            # Textual's generic keys (arrows, tab, copy) are standard; list ours and what widgets show.
            if node is screen or node is screen.app:
                listed = key in ours or binding.action == "command_palette"
            else:
                listed = binding.show
            if not binding.description or binding.system or key in seen or not listed:
                continue
            seen.add(key)
            rows.setdefault((where, binding.description), []).append(screen.app.get_key_display(binding))
    return [(where, " ".join(keys), what) for (where, what), keys in rows.items()]


def _declared_by_thtui(cls: type) -> set[str]:
    keys: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith("thtui."):
            for binding in Binding.make_bindings(klass.__dict__.get("BINDINGS", [])):
                keys.add(binding.key)
    return keys


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Close")]

    def __init__(self, for_screen: Screen):
        super().__init__()
        self.for_screen = for_screen

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        table.add_column("where", no_wrap=True, width=12)
        table.add_column("key", no_wrap=True, style="bold", width=10)
        table.add_column("does")
        for where, key, what in binding_rows(self.for_screen):
            table.add_row(where, key, what)
        with VerticalScroll(id="dialog", classes="dialog help"):
            yield Static(Text("Help — keys (escape closes)", style="bold"))
            yield Static(table, id="keys")
            yield Static(INTRO, classes="dim")
            yield Static("\n".join(f"• {t}" for t in TIPS), classes="dim")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
