"""Rate one job's video 1-5 on each criterion of the original plan (lip-sync, head motion, visual artifacts,
identity), plus a free-text note. Keys only: ↑/↓ pick a criterion, 1-5 score it, tab reaches the note,
ctrl+s (or enter) saves. The CLI twin is `thtui rate`; both store through thtui.core.ratings."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from thtui.core.ratings import CRITERIA, MAX_SCORE, Rating, RatingError, default_rater, rate, ratings_for_jobs
from thtui.core.store import JobRecord
from thtui.tui.screens.base import deliver


def score_marks(score: int | None, ascii_only: bool) -> str:
    full, empty = ("#", ".") if ascii_only else ("●", "○")
    n = score or 0
    return " ".join([full] * n + [empty] * (MAX_SCORE - n))


class RatingScreen(ModalScreen[Rating | None]):
    @classmethod
    def for_job(cls, job: JobRecord) -> RatingScreen:
        which = "warm-up" if job.warmup else f"r{job.repeat}"
        return cls(job.id, f"{job.solution} · case {job.case_index} · {which}")

    """Dismisses with the saved Rating, or None when cancelled."""

    AUTO_FOCUS = ""  # nothing: digits are scores until the user tabs into the note
    BINDINGS = [
        Binding("up,k", "move(-1)", "Previous", show=False),
        Binding("down,j", "move(1)", "Next", show=False),
        *(Binding(str(n), f"score({n})", f"Score {n}", show=False) for n in range(1, MAX_SCORE + 1)),
        Binding("0,delete", "score(0)", "Clear score", show=False),
        Binding("ctrl+s,enter", "save", "Save"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, job_id: str, label: str) -> None:
        super().__init__()
        self.job_id = job_id
        self.label = label
        self.rater = default_rater()
        self.cursor = 0
        self.scores: dict[str, int] = {}

    @property
    def settings(self):
        return self.app.settings  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        with Vertical(id="rating", classes="dialog"):
            yield Label(Text.assemble(("Rate ", "bold"), (self.label, "bold"), f"  as {self.rater}"))
            yield Static(id="criteria")
            yield Static(id="criterion-help", classes="dim")
            yield Input(placeholder="note (optional): what you saw", id="note")
            yield Static(
                "↑↓ pick · 1-5 score it and move to the next · 0 clear · tab note · ctrl+s save · esc back",
                classes="dim",
            )

    def on_mount(self) -> None:
        self.query_one("#rating").border_title = "rating"
        self._draw()
        self._load()

    @work(thread=True, exit_on_error=False, group="rating", description="Reading the earlier rating")
    def _load(self) -> None:
        mine = next(
            (r for r in ratings_for_jobs(self.settings, [self.job_id]) if r.rater == self.rater), None
        )
        if mine is not None:
            deliver(self, self._prefill, mine)

    def _prefill(self, rating: Rating) -> None:
        if not self.scores:  # the user was quicker: their keys win
            self.scores = dict(rating.scores)
        note = self.query_one("#note", Input)
        if not note.value:
            note.value = rating.note
        self._draw()

    def _draw(self) -> None:
        ascii_only = bool(getattr(self.app, "ascii_only", False))
        width = max(len(c.label) for c in CRITERIA)
        text = Text()
        for i, c in enumerate(CRITERIA):
            here = i == self.cursor
            score = self.scores.get(c.key)
            text.append("› " if here and not ascii_only else ("> " if here else "  "), "bold")
            text.append(f"{c.label:<{width}}  ", "bold" if here else "")
            text.append(score_marks(score, ascii_only), "bold green" if score else "dim")
            text.append(f"  {score if score else '-'}\n")
        self.query_one("#criteria", Static).update(text.rstrip() or text)
        self.query_one("#criterion-help", Static).update(CRITERIA[self.cursor].help)

    def action_move(self, step: int) -> None:
        self.cursor = (self.cursor + step) % len(CRITERIA)
        self._draw()

    def action_score(self, score: int) -> None:
        key = CRITERIA[self.cursor].key
        if score:
            self.scores[key] = score
            self.cursor = min(self.cursor + 1, len(CRITERIA) - 1)  # rate the next one right away
        else:
            self.scores.pop(key, None)
        self._draw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    def action_save(self) -> None:
        if not self.scores:
            self.notify("give at least one score (1-5) first", severity="warning")
            return
        self._save(dict(self.scores), self.query_one("#note", Input).value.strip())

    @work(thread=True, exclusive=True, exit_on_error=False, group="rating", description="Saving a rating")
    def _save(self, scores: dict[str, int], note: str) -> None:
        try:
            saved = rate(self.settings, self.job_id, self.rater, scores, note)
        except RatingError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(self.dismiss, saved)

    def action_cancel(self) -> None:
        if isinstance(self.focused, Input):  # out of the note, back to the scores
            self.set_focus(None)
            return
        self.dismiss(None)
