"""Keyboard file picking: a directory tree that shows only wanted file types and lets you mark several.

Enter opens a directory or picks a file, space marks/unmarks a file, backspace goes to the parent
directory. Directory listing happens in DirectoryTree's own worker, never on the UI thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DirectoryTree
from textual.widgets._tree import TreeNode

# The one list the CLI's validators use too (it had five of each here, so .gif/.opus/.mp4 were refused).
from thtui.core.input_formats import AUDIO_SUFFIXES as AUDIO_SUFFIXES
from thtui.core.input_formats import IMAGE_SUFFIXES as IMAGE_SUFFIXES


class MarkingDirectoryTree(DirectoryTree):
    # Emoji folder icons are double-width and misalign under tmux; plain glyphs are safe everywhere.
    ICON_NODE = "▸ "
    ICON_NODE_EXPANDED = "▾ "
    ICON_FILE = "  "

    BINDINGS = [
        Binding("space", "toggle_mark", "Mark", show=True),
        Binding("backspace", "parent_dir", "Up a dir", show=True),
    ]

    class MarksChanged(Message):
        def __init__(self, tree: MarkingDirectoryTree, marked: tuple[Path, ...]):
            super().__init__()
            self.tree = tree
            self.marked = marked

        @property
        def control(self) -> MarkingDirectoryTree:
            return self.tree

    def __init__(
        self, path: Path, suffixes: Iterable[str], *, marked: Iterable[Path] = (), id: str | None = None
    ):
        super().__init__(path, id=id)
        self.suffixes = frozenset(s.lower() for s in suffixes)
        self.marked: list[Path] = [Path(p) for p in marked]

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        # is_dir() touches the disk, but this runs inside DirectoryTree's loader worker.
        return [
            p
            for p in paths
            if not p.name.startswith(".") and (p.suffix.lower() in self.suffixes or p.is_dir())
        ]

    def render_label(self, node: TreeNode, base_style: Style, style: Style) -> Text:
        label = super().render_label(node, base_style, style)
        if node.data is not None and not node.allow_expand:
            mark = "[x] " if node.data.path in self.marked else "[ ] "
            return Text.assemble(mark, label)
        return label

    def action_toggle_mark(self) -> None:
        node = self.cursor_node
        if node is None or node.data is None:
            return
        if node.allow_expand:
            node.toggle()
            return
        path = node.data.path
        if path in self.marked:
            self.marked.remove(path)
        else:
            self.marked.append(path)
        self._refresh_node(node)
        self.post_message(self.MarksChanged(self, tuple(self.marked)))

    def action_parent_dir(self) -> None:
        current = Path(self.path).resolve()
        if current.parent != current:
            self.path = current.parent
