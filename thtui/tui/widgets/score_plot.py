"""Automatic scores in the TUI: the Results screen's score columns, and the job detail's plots of mouth
opening against loudness (the lip-sync proxy's two signals, each scaled to its own range) and of identity
distance over time (fixed scale 0-1; dlib's same-person line is 0.6)."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from thtui.tui.widgets.history_graph import FixedScaleHistory

# (label, key, width) for the Results jobs table; the values come from score_cells.
SCORE_COLUMNS: list[tuple[str, str, int]] = [
    ("face", "sc_face", 5),
    ("sync r", "sc_sync", 6),
    ("off", "sc_offset", 4),
    ("id d", "sc_identity", 5),
    ("cpbd", "sc_cpbd", 4),
]
SAME_PERSON = 0.6  # dlib's convention for its descriptor distance


def score_cells(data: dict[str, Any] | None) -> list[str]:
    """The score columns' text for one job: '—' for an absent score, '' for a job never scored."""
    from thtui.core.report.scores_section import fmt

    if not data:
        return ["", "", "", "", ""]
    return [
        fmt("face_found", data.get("face_found")),
        fmt("lipsync_corr", data.get("lipsync_corr")),
        fmt("lipsync_offset_frames", data.get("lipsync_offset_frames")),
        fmt("identity_distance", data.get("identity_distance")),
        fmt("cpbd", data.get("cpbd")),
    ]


def resample(values: list[float | None], width: int) -> list[float | None]:
    """Mean of each of `width` equal slices (None where a slice has no reading)."""
    if not values or width <= 0:
        return []
    n = len(values)
    out: list[float | None] = []
    for i in range(min(width, n)):
        a, b = i * n // min(width, n), (i + 1) * n // min(width, n)
        vals = [v for v in values[a:b] if v is not None]
        out.append(sum(vals) / len(vals) if vals else None)
    return out


def held(values: list[float | None]) -> list[float | None]:
    """Sampled series (a value every few frames) held until the next sample, so the row has no gaps."""
    out: list[float | None] = []
    last = None
    for v in values:
        last = v if v is not None else last
        out.append(last)
    return out


def scaled(values: list[float | None]) -> list[float | None]:
    """Each signal on its own 0..1 range (min..max of its readings): the plot compares shapes in time."""
    vals = [v for v in values if v is not None]
    if not vals:
        return values
    lo, hi = min(vals), max(vals)
    span = hi - lo or 1.0
    return [None if v is None else (v - lo) / span for v in values]


def summary_line(data: dict[str, Any]) -> str:
    from thtui.core.report.scores_section import fmt

    def f(k: str) -> str:
        return fmt(k, data.get(k))

    return (
        f"lip-sync r {f('lipsync_corr')} (proxy) at offset {f('lipsync_offset_frames')} frames · identity "
        f"{f('identity_distance')} · face {f('face_found')} · CPBD {f('cpbd')} "
        f"(portrait {fmt('cpbd_portrait', data.get('cpbd_portrait'), 2)})"
    )


class ScorePlot(Widget):
    """Assign `scores` (a scores.json dict, or None) to draw it: a summary line, then one row each for
    mouth opening and loudness (each on its own range: the proxy compares their shapes in time) and
    identity distance (fixed 0-1; dlib's same-person line is 0.6). One dim line when not scored."""

    DEFAULT_CSS = """
    ScorePlot { height: auto; width: 1fr; }
    """

    scores: reactive[dict[str, Any] | None] = reactive(None, layout=True)

    def render(self) -> Group | Text:
        data = self.scores
        if not data:
            return Text("scores: not scored (thtui score RUN scores a run)", style="dim")
        series = data.get("series") or {}
        width = max(10, self.size.width - 10)
        ascii_only = getattr(self.app, "ascii_only", False)
        parts: list[Any] = [Text(summary_line(data))]  # wraps: at 80 columns the CPBD part was cut

        def row(label: str, values: list[float | None], style: str, why: str | None) -> None:
            line = Text(f"{label:<9} ", style="bold")
            if why is not None:
                line.append(why, style="dim")
                line.no_wrap, line.overflow = True, "ellipsis"
            else:
                graph = FixedScaleHistory(values, 1.0, width, 1, Style.parse(style), ascii_only)
                line.append(graph.rows()[0], style=style)
            parts.append(line)

        missing = data.get("missing") or {}
        mouth, loud = series.get("mouth_open") or [], series.get("loudness") or []
        synced = bool(mouth and loud)
        why_sync = None if synced else missing.get("lipsync_corr", "no mouth/loudness series")
        row("mouth", scaled(resample(mouth, width)), "cyan", why_sync)
        row("loudness", scaled(resample(loud, width)), "yellow", why_sync)
        ident = series.get("identity_distance") or []
        has_id = any(v is not None for v in ident)
        row(
            "identity",
            resample(held(ident), width),
            "magenta",
            None if has_id else missing.get("identity_distance", "no identity series"),
        )
        if self.app.size.height >= 30:  # at 80x24 the log tail needs the line more
            parts.append(
                Text(
                    f"mouth and loudness each on their own range; identity distance 0–1, same person < {SAME_PERSON}",
                    style="dim",
                    no_wrap=True,
                    overflow="ellipsis",
                )
            )
        return Group(*parts)
