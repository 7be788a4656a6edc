"""Per-step progress of one setup: ✓ done, » running (with its percentage), – skipped, ✗ failed."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from thtui.tui.state import InstallProgress

MARK = {
    "done": ("✓", "green"),
    "skipped": ("–", "dim"),
    "running": ("»", "bold cyan"),
    "failed": ("✗", "bold red"),
    "pending": ("·", "dim"),
}


class StepList(Widget):
    DEFAULT_CSS = """
    StepList { height: auto; }
    """

    progress: InstallProgress | None = None

    def render(self) -> Text:
        p = self.progress
        if p is None or not p.steps:
            return Text("")
        out = Text()
        for i, step in enumerate(p.steps):
            glyph, style = MARK.get(step.state, ("?", ""))
            line = Text(f"{glyph} {step.name}", style=style)
            if step.state == "running" and step.fraction is not None:
                line.append(f" {step.fraction * 100:.0f}%")
            elif step.state == "skipped":
                line.append(" (up to date)", style="dim")
            if i:
                out.append("\n")
            out.append_text(line)
        return out

    def get_content_height(self, container, viewport, width: int) -> int:  # type: ignore[override]
        return len(self.progress.steps) if self.progress else 0
