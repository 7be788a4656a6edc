"""Modal file picker: type a path or walk the tree; space marks several files, enter picks. With
`folders=True` (the Run form's reference videos) ctrl+d picks a folder too: the one typed in the path
field, the folder row under the cursor, or the folder of the file row under it."""

from __future__ import annotations

import contextlib
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label, Static

from thtui.core.input_formats import short_list
from thtui.tui.widgets.file_picker import MarkingDirectoryTree
from thtui.tui.widgets.key_bar import KeyBar


class FilePickerScreen(ModalScreen[list[Path] | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+l", "focus_path", "Type a path"),
        # Before ctrl+s: at 80 columns the key bar shows this one where it is offered (folders=True).
        Binding("ctrl+d", "pick_folder", "Use folder", priority=True),  # over the path field's delete-right
        Binding("ctrl+s", "accept", "Use marked"),
    ]

    def __init__(
        self,
        title: str,
        start: Path,
        suffixes: frozenset[str],
        marked: list[Path] | None = None,
        *,
        folders: bool = False,
    ):
        super().__init__()
        self.folders = folders
        self.title_text = title
        start = start if start.is_dir() else Path.cwd()
        # Inside the working directory, show it relative: shorter, and the same on every machine.
        with contextlib.suppress(ValueError):
            start = start.resolve().relative_to(Path.cwd().resolve()) or Path(".")
        self.start = start
        self.suffixes = suffixes
        self.initial = [Path(p) for p in marked or []]
        # The form's current files start marked (so ctrl+s keeps them), but enter on a file means "this
        # one": it replaces them unless the user has marked files here, and then it joins those.
        self._user_marked = False

    def compose(self) -> ComposeResult:
        with Vertical(id="picker", classes="dialog"):
            yield Label(f"{self.title_text} ({short_list(self.suffixes)})", classes="title")
            yield Input(str(self.start), id="picker-path", placeholder="a file or a directory, then enter")
            yield MarkingDirectoryTree(self.start, self.suffixes, marked=self.initial, id="picker-tree")
            yield Static("", id="picker-marked", classes="dim")
            yield Static("", id="picker-error", classes="error")
            keys = "enter: pick · space: mark several · backspace: up · ctrl+s: use marked · esc: cancel"
            if self.folders:
                keys = "enter: a video · ctrl+d: this folder · space: mark · esc: cancel"
            yield Label(keys, classes="dim")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(MarkingDirectoryTree).focus()
        self._show_marked(tuple(self.initial))

    def _show_marked(self, marked: tuple[Path, ...]) -> None:
        text = f"marked: {', '.join(p.name for p in marked)}" if marked else ""
        self.query_one("#picker-marked", Static).update(text)

    @on(MarkingDirectoryTree.MarksChanged)
    def _marks_changed(self, event: MarkingDirectoryTree.MarksChanged) -> None:
        self._user_marked = True
        self._show_marked(event.marked)

    def _picked(self, path: Path) -> list[Path]:
        marked = list(self.query_one(MarkingDirectoryTree).marked) if self._user_marked else []
        return marked if path in marked else [*marked, path]

    @on(DirectoryTree.FileSelected)
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss(self._picked(event.path))

    @on(Input.Submitted, "#picker-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        path = Path(event.value).expanduser()
        error = self.query_one("#picker-error", Static)
        if path.is_dir():
            self.query_one(MarkingDirectoryTree).path = path
            self.query_one(MarkingDirectoryTree).focus()
            error.update("")
        elif path.is_file():
            if path.suffix.lower() not in self.suffixes:
                error.update(f"✗ not one of {', '.join(sorted(self.suffixes))}: {path.name}")
                return
            self.dismiss(self._picked(path))
        else:
            error.update(f"✗ no such file or directory: {path}")

    def action_focus_path(self) -> None:
        self.query_one("#picker-path", Input).focus()

    def action_accept(self) -> None:
        marked = self.query_one(MarkingDirectoryTree).marked
        if marked:
            self.dismiss(list(marked))
        else:
            self.query_one("#picker-error", Static).update(
                "✗ nothing marked: space marks a file, enter picks one"
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.folders if action == "pick_folder" else True

    def action_pick_folder(self) -> None:
        """The folder typed in the path field (while it has focus), else the one under the tree's cursor."""
        path_field = self.query_one("#picker-path", Input)
        if self.focused is path_field:
            folder = Path(path_field.value).expanduser()
            if not folder.is_dir():
                self.query_one("#picker-error", Static).update(f"✗ not a folder: {folder}")
                return
            self.dismiss([folder])
            return
        tree = self.query_one(MarkingDirectoryTree)
        node = tree.cursor_node
        if node is None or node.data is None:
            self.dismiss([Path(tree.path)])
            return
        path = Path(node.data.path)
        self.dismiss([path if node.allow_expand else path.parent])

    def action_cancel(self) -> None:
        self.dismiss(None)
