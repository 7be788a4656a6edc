"""One job in full: its metrics (each with how it was measured), VRAM over time on a fixed scale, the
output path, a frame of the result drawn with half blocks, and the tail of its log."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from thtui.tui import format as fmt
from thtui.tui.results_data import JobDetail
from thtui.tui.screens.base import deliver
from thtui.tui.widgets.frame_preview import FramePreview
from thtui.tui.widgets.history_graph import HistoryGraph
from thtui.tui.widgets.key_bar import KeyBar
from thtui.tui.widgets.log_view import LogView
from thtui.tui.widgets.score_plot import ScorePlot

METRIC_LABELS = {
    "wall_s": "wall time", "audio_s": "audio", "rtf": "RTF", "vram_peak_mb": "VRAM peak", "vram_mean_mb": "VRAM mean",
    "vram_peak_device_mb": "device VRAM peak", "gpu_util_mean": "GPU util mean", "energy_j": "energy",
    "rss_peak_mb": "RAM peak", "cpu_time_s": "CPU time",
}  # fmt: skip


def preview_box(width: int, height: int) -> tuple[int, int]:
    """Cells for the frame preview: a third of the terminal's width, up to 64 x 20 (128 x 40 pixels)."""
    return max(16, min(64, width // 3)), max(6, min(20, height // 3))


def nice_upper(value: float) -> float:
    """Round a peak up to 1/2/5 x 10^n so the plot's scale is a number people read at a glance."""
    if value <= 0:
        return 1.0
    base = 10 ** len(str(int(value))) / 10
    for step in (1, 2, 5, 10):
        if value <= step * base:
            return step * base
    return 10 * base


ATTRIBUTION_WORDS = {
    "process": "per process (NVML)",
    "device-delta": "device growth (no per-process data)",
    "none": "not measured (no GPU)",
}


class JobDetailScreen(Screen):
    BINDINGS = [
        Binding("escape,q,backspace", "back", "Back"),
        Binding("l", "full_log", "Full log"),
        Binding("t", "rate", "Rate"),
        Binding("p", "reload_preview", "Preview", show=False),
    ]

    def __init__(self, job_id: str):
        super().__init__()
        self.job_id = job_id
        self.detail: JobDetail | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(f"job {self.job_id}", style="bold"), id="detail-title", classes="title")
        yield Static("", id="detail-output")
        with Horizontal(id="detail-top"):
            yield Static("loading…", id="detail-metrics")
            with Vertical(id="detail-right"):
                yield FramePreview(id="preview")
                yield Static("", id="vram-label")
                yield HistoryGraph(1.0, id="vram-plot")
        yield ScorePlot(id="score-plot")
        yield LogView(id="detail-log")
        yield KeyBar()

    def on_mount(self) -> None:
        self._load()

    def action_rate(self) -> None:
        from thtui.tui.screens.rating import RatingScreen

        job = self.detail.job if self.detail else None
        if job is None or job.status != "ok":
            self.notify("only a finished (ok) job has a video to rate", severity="warning")
            return
        self.app.push_screen(
            RatingScreen.for_job(job),
            lambda saved: self.notify(f"rating saved (as {saved.rater})") if saved else None,
        )

    @work(thread=True, exit_on_error=False, group="job-detail", description="Reading a job")
    def _load(self) -> None:
        detail = self.app.results.detail(self.job_id)  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show, detail)  # which starts the preview, from the UI thread
        if detail is not None:  # the automatic scores (thtui.core.scores), plotted by ScorePlot
            from thtui.core.scores.stored import job_scores

            scores = job_scores(None, self.job_id, detail.job.job_dir)
            self.app.call_from_thread(setattr, self.query_one(ScorePlot), "scores", scores)

    def _show(self, detail: JobDetail | None) -> None:
        if detail is None:
            self.query_one("#detail-metrics", Static).update(
                Text("this job is no longer in the store", style="red")
            )
            return
        self.detail = detail
        job, m = detail.job, detail.job.metrics
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        table.add_row("status", Text(job.status, style="green" if job.status == "ok" else "bold red"))
        if job.failure_class or job.failure_message:
            table.add_row(
                "failure", Text(f"{job.failure_class or ''}: {job.failure_message or ''}", style="red")
            )
        for name, label in METRIC_LABELS.items():
            if name == "rtf" and job.status != "ok":
                continue  # partial time / audio length is no real-time factor: absent, not a number
            if name in detail.metrics:
                value, unit, _method = detail.metrics[name]
                table.add_row(label, f"{fmt.number(value, 4)} {unit}")
        if m is not None:
            table.add_row("VRAM measured", ATTRIBUTION_WORDS.get(m.vram_attribution, m.vram_attribution))
            gpus = m.extra.get("gpu_indices") or ([] if m.gpu_index is None else [m.gpu_index])  # all of them
            table.add_row("gpu", ",".join(map(str, gpus)) or "—")
        self.query_one("#detail-metrics", Static).update(table)
        vram = [s.vram_job_mb for s in detail.samples]
        peak = max((v for v in vram if v is not None), default=0.0)
        upper = nice_upper(max(peak, m.vram_peak_device_mb or 0.0) if m else peak)
        plot = self.query_one("#vram-plot", HistoryGraph)
        measured = any(v is not None for v in vram) and not (m and m.vram_attribution == "none")
        label = f"VRAM over time, 0–{upper:g} MiB" if measured else "VRAM: not measured (no GPU)"
        self.query_one("#vram-label", Static).update(label)
        plot.display = measured
        plot.upper = upper
        plot.values = tuple(vram)
        out = detail.result_path or f"{job.job_dir}/result.mp4 (missing)"
        bases = [self.app.settings.outputs_dir]  # type: ignore[attr-defined]
        self.query_one("#detail-output", Static).update(Text(f"output: {fmt.short_path(out, bases)}"))
        if not detail.result_path:
            self.query_one(FramePreview).message = "no result video"
        else:
            self.query_one(FramePreview).message = "decoding a frame…"
            self._preview(detail.result_path, *preview_box(self.app.size.width, self.app.size.height))
        log = self.query_one("#detail-log", LogView)
        log.border_title = "log tail"
        log.show_text(detail.log_tail or "(no log)")

    @work(
        thread=True, exclusive=True, exit_on_error=False, group="job-preview", description="Decoding a frame"
    )
    def _preview(self, video: str, cols: int, rows: int) -> None:
        from thtui.tui.services import frame_pixels

        try:
            scratch = self.app.settings.cache_dir / "tui-preview"  # type: ignore[attr-defined]
            pixels = frame_pixels(video, cols, rows, scratch)
        except Exception as exc:
            deliver(self, self._show_preview, None, f"no preview: {exc}")
            return
        deliver(self, self._show_preview, pixels, "")

    def _show_preview(self, pixels: tuple | None, message: str) -> None:
        # On the UI thread: the DOM is only ever touched from here, never from the decoding thread.
        preview = self.query_one(FramePreview)
        if pixels:
            preview.pixels = pixels
        else:
            preview.message = message

    def action_reload_preview(self) -> None:
        if self.detail and self.detail.result_path:
            self._preview(self.detail.result_path, *preview_box(self.app.size.width, self.app.size.height))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_full_log(self) -> None:
        from thtui.tui.screens.log_file import LogFileScreen

        if self.detail is None:
            return
        self.app.push_screen(LogFileScreen(f"job log — {self.job_id}", f"{self.detail.job.job_dir}/log.txt"))
