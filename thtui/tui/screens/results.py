"""Results: every run in the store (started here or by `thtui run`), a sortable table of its jobs and
metrics; enter opens a job's detail. Rate a job, make the side-by-side video, export a report; cancel,
retry, resume, run again, and delete a run (after confirming)."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from thtui.core.ratings import CRITERIA, SolutionRatings, ratings_by_solution
from thtui.core.scores.stored import run_scores
from thtui.core.store import JobRecord, RunRecord
from thtui.tui import format as fmt
from thtui.tui.results_data import JOB_COLUMNS, JOB_WIDTHS, sort_jobs
from thtui.tui.screens.base import ThtuiScreen, deliver
from thtui.tui.widgets.fit_table import set_columns
from thtui.tui.widgets.score_plot import SCORE_COLUMNS, score_cells

JOB_VALUE = {key: value for key, _label, value in JOB_COLUMNS}

STATUS_STYLE = {"ok": "green", "done": "green", "failed": "bold red", "cancelled": "yellow", "interrupted": "yellow",
                "running": "bold cyan", "pending": "dim"}  # fmt: skip
RUN_COLUMNS = (("run", "run", 20), ("status", "status", 11), ("jobs", "jobs", 8), ("what", "what", 10))
POLL_S = 3.0  # runs started by the CLI in another terminal appear within this


def run_summary(run: RunRecord) -> str:
    spec = run.spec
    solutions = ", ".join(spec.get("solutions") or [])
    if spec.get("references"):  # the papers' protocol: each reference video is its own image and audio
        return f"{solutions} · {len(spec['references'])} reference"
    faces = f"{len(spec.get('images') or [])} image"
    if spec.get("videos"):
        faces += f" · {len(spec['videos'])} video"
    what = f"text via {spec.get('tts')}" if spec.get("text") else f"{len(spec.get('audios') or [])} audio"
    return f"{solutions} · {faces} · {what}"


class ResultsScreen(ThtuiScreen):
    MODE = "results"
    BINDINGS = [
        Binding("enter", "open_job", "Detail", show=False),
        Binding("s", "sort", "Sort"),
        Binding("S", "reverse", "Reverse", show=False),
        Binding("t", "rate", "Rate"),
        Binding("v", "compare", "Compare"),
        Binding("e", "export", "Report"),
        # Resume before the rest: at 80 columns the key bar keeps the first keys that fit.
        Binding("R", "resume", "Resume"),
        Binding("c", "cancel", "Cancel"),
        Binding("r", "retry", "Retry job"),
        Binding("a", "run_again", "Run again", show=False),
        Binding("d", "delete", "Delete run"),
        Binding("ctrl+r", "refresh", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[RunRecord] = []
        self.jobs: list[JobRecord] = []
        self.scores: dict[str, dict] = {}  # job id -> automatic scores of the shown run
        self.sort_column = "solution"
        self.sort_reverse = False
        self._shown_run: str | None = None
        self._runs_drawn = False
        self.ratings: dict[str, SolutionRatings] = {}

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="runs", cursor_type="row")
        yield DataTable(id="jobs", cursor_type="row", zebra_stripes=True)
        yield Static("", id="job-line")
        yield Static("", id="ratings-line")
        yield Static("", id="task-line")

    def on_mount(self) -> None:
        super().on_mount()
        runs = self.query_one("#runs", DataTable)
        runs.border_title = "runs"
        set_columns(runs, RUN_COLUMNS, flex="what")
        self._set_job_columns()
        self.tapp.jobs_changed.subscribe(self, lambda _key: self.refresh_results())
        self.set_interval(POLL_S, self.refresh_results)
        runs.focus()
        self.refresh_results()

    def on_resize(self) -> None:
        self.call_after_refresh(self._rebuild)

    def _rebuild(self) -> None:
        set_columns(self.query_one("#runs", DataTable), RUN_COLUMNS, flex="what")
        self._runs_drawn = False
        self._set_job_columns()
        self._apply(self.runs, self._shown_run, self.jobs)

    def on_screen_resume(self) -> None:
        self.refresh_results()

    # ---- loading -----------------------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.refresh_results()

    def refresh_results(self) -> None:
        self._load(self.selected_run)

    @work(thread=True, exclusive=True, exit_on_error=False, group="results", description="Reading results")
    def _load(self, run_id: str | None) -> None:
        reader = self.tapp.results
        runs = reader.runs()
        ids = [r.id for r in runs]
        target = run_id if run_id in ids else (ids[0] if ids else None)
        jobs = reader.jobs(target) if target else []
        deliver(self, setattr, self, "scores", run_scores(reader.store, target) if target else {})
        deliver(
            self,
            self._apply,
            runs,
            target,
            jobs,
            ratings_by_solution(self.tapp.settings, ((j.id, j.solution) for j in jobs)),
        )

    def _apply(
        self,
        runs: list[RunRecord],
        target: str | None,
        jobs: list[JobRecord],
        ratings: dict[str, SolutionRatings] | None = None,
    ) -> None:
        table = self.query_one("#runs", DataTable)
        current = self.selected_run  # before a redraw puts the cursor back on the first row
        fresh = [(r.id, r.status, r.counts) for r in runs]
        if not self._runs_drawn or fresh != [(r.id, r.status, r.counts) for r in self.runs]:
            self._runs_drawn = True
            table.clear()
            for run in runs:
                ok = run.counts.get("ok", 0)
                table.add_row(
                    run.id,
                    Text(run.status, style=STATUS_STYLE.get(run.status, "")),
                    f"{ok}/{run.n_jobs} ok",
                    fmt.ellipsize(
                        run_summary(run),
                        table.columns[next(k for k in table.columns if k.value == "what")].width,
                    ),
                    key=run.id,
                )
            if not runs:
                table.add_row(
                    Text("no runs yet — 2 opens Run; `thtui run` runs land here too", style="dim"), "", "", ""
                )
        self.runs = runs
        if current is not None and current != target and current in table.rows:
            # The user is on another run than this read was for (they moved while it was on its way, or a
            # redraw announced the first row as highlighted): keep their choice and read that run.
            if table.cursor_row != table.get_row_index(current):
                table.move_cursor(row=table.get_row_index(current), animate=False)
            self._load(current)
            return
        if target is not None and target in table.rows:
            row = table.get_row_index(target)
            if table.cursor_row != row:
                table.move_cursor(row=row, animate=False)
        self._shown_run = target
        self.jobs = jobs
        if ratings is not None:
            self.ratings = ratings
        self._fill_jobs()
        self._show_ratings()

    def _set_job_columns(self) -> None:
        columns = []
        for key, label, _fn in JOB_COLUMNS:
            arrow = ("▼" if self.sort_reverse else "▲") if key == self.sort_column else ""
            columns.append((label + arrow, key, JOB_WIDTHS[key]))
        columns += SCORE_COLUMNS  # automatic scores (thtui.tui.widgets.score_plot), right of the metrics
        set_columns(self.query_one("#jobs", DataTable), columns, flex="solution", max_flex=24)

    def _fill_jobs(self) -> None:
        table = self.query_one("#jobs", DataTable)
        selected = self.selected_job_id
        table.border_title = f"jobs of {self._shown_run}" if self._shown_run else "jobs"
        table.clear()
        for job in sort_jobs(self.jobs, self.sort_column, self.sort_reverse):
            m = job.metrics
            table.add_row(
                job.solution,
                str(job.case_index),
                "warm" if job.warmup else str(job.repeat),
                Text(job.status, style=STATUS_STYLE.get(job.status, "")),
                fmt.number(m.wall_s if m else None, 3),
                fmt.number(JOB_VALUE["rtf"](job), 3),  # None unless the job finished ok
                fmt.number(round(m.vram_peak_mb) if m and m.vram_peak_mb is not None else None),
                fmt.number(round(m.gpu_util_mean) if m and m.gpu_util_mean is not None else None),
                fmt.number(m.energy_j if m else None, 3),
                *score_cells(self.scores.get(job.id)),
                key=job.id,
            )
        if selected is not None and selected in table.rows:
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        self._show_job_line()

    def _show_job_line(self) -> None:
        job = self.selected_job
        line = self.query_one("#job-line", Static)
        if job is None:
            line.update(Text("enter: job detail · s: sort · r: retry · d: delete run", style="dim"))
            return
        text = Text(f"{job.id}: ", style="bold")
        if job.status == "failed":
            text.append(f"{job.failure_class or 'failed'}: {job.failure_message or ''}", style="red")
        elif job.status == "ok":
            text.append(f"{fmt.short_path(job.job_dir, [self.tapp.settings.outputs_dir])}/result.mp4")
        else:
            text.append(job.status)
        line.update(text)

    def _show_ratings(self) -> None:
        rated = [r for r in self.ratings.values() if r.overall is not None]
        line = self.query_one("#ratings-line", Static)
        if not rated:
            line.update(Text("no ratings yet: t rates the selected job 1-5 per criterion", style="dim"))
            return
        text = Text("ratings, mean 1-5 per criterion:", style="bold")
        for r in rated:
            n = len(r.raters)
            scores = ", ".join(
                f"{c.label.lower()} {r.means[c.key]:.1f}" for c in CRITERIA if r.means.get(c.key) is not None
            )
            text.append(f"\n  {r.solution}: {scores} ({n} rater{'s' if n != 1 else ''})")
        line.update(text)

    def show_task(self, message: str) -> None:
        """One line of progress for the screen's own background tasks (compare video, report)."""
        self.query_one("#task-line", Static).update(Text(message, style="cyan") if message else "")

    # ---- selection ---------------------------------------------------------------------------------
    @property
    def selected_run(self) -> str | None:
        table = self.query_one("#runs", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return key if any(r.id == key for r in self.runs) else None

    @property
    def selected_job_id(self) -> str | None:
        table = self.query_one("#jobs", DataTable)
        if table.row_count == 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    @property
    def selected_job(self) -> JobRecord | None:
        job_id = self.selected_job_id
        return next((j for j in self.jobs if j.id == job_id), None)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "runs":
            if event.row_key.value != self._shown_run and event.row_key.value is not None:
                self._load(event.row_key.value)
        else:
            self._show_job_line()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "runs":
            self.query_one("#jobs", DataTable).focus()
        else:
            self.action_open_job()

    # ---- actions -----------------------------------------------------------------------------------
    def action_open_job(self) -> None:
        from thtui.tui.screens.job_detail import JobDetailScreen

        job = self.selected_job
        if job is None:
            self.notify("select a job first (tab moves to the jobs table)", severity="warning")
            return
        self.app.push_screen(JobDetailScreen(job.id))

    def action_rate(self) -> None:
        from thtui.tui.screens.rating import RatingScreen

        job = self.selected_job
        if job is None or job.status != "ok":
            self.notify("select a finished (ok) job to rate", severity="warning")
            return
        self.app.push_screen(RatingScreen.for_job(job), lambda saved: self._rated(saved))

    def _rated(self, saved) -> None:
        if saved is not None:
            self.notify(f"rating saved for {saved.job_id} (as {saved.rater})")
            self.refresh_results()

    def action_compare(self) -> None:
        run_id = self.selected_run
        if run_id is None:
            self.notify("no run selected", severity="warning")
            return
        self.show_task(f"compare: preparing the side-by-side video of {run_id}…")
        self._compare(run_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="compare", description="Side-by-side video")
    def _compare(self, run_id: str) -> None:
        from thtui.core.report import CompareError, RunNotFound, compose_grid
        from thtui.core.report.compare import GridProgress

        out = self.tapp.settings.outputs_dir / run_id / "compare.mp4"

        def sink(event) -> None:
            if isinstance(event, GridProgress) and event.total_s:
                msg = f"compare: encoding {event.done_s:.1f}/{event.total_s:.1f} s of {run_id}"
                self.app.call_from_thread(self.show_task, msg)

        try:
            result = compose_grid(self.tapp.settings, run_id, None, out, include_source=True, sink=sink)
        except (CompareError, RunNotFound) as exc:
            self.app.call_from_thread(self._task_done, f"compare: {exc}", True)
            return
        lay = result.layout
        self.app.call_from_thread(  # the whole path: this line is for pasting into a player
            self._task_done,
            f"wrote {result.path} ({lay.width}x{lay.height}, {', '.join(result.labels)})",
            False,
        )

    def action_export(self) -> None:
        run_id = self.selected_run
        if run_id is None:
            self.notify("no run selected", severity="warning")
            return
        self.show_task(f"report: gathering {run_id}…")
        self._export(run_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="export", description="Writing a report")
    def _export(self, run_id: str) -> None:
        from thtui.core.report import RunNotFound, build_report, write_report
        from thtui.core.report.model import ReportProgress

        def sink(event) -> None:
            if isinstance(event, ReportProgress):
                self.app.call_from_thread(self.show_task, f"report: {event.step} {event.detail}".rstrip())

        run_dir = self.tapp.settings.outputs_dir / run_id
        try:
            report = build_report(self.tapp.settings, run_id, catalog=self.tapp.catalog, sink=sink)
            written = write_report(report, "html", run_dir / "report.html")
            written += write_report(report, "md", run_dir / "report.md")
        except (RunNotFound, OSError) as exc:
            self.app.call_from_thread(self._task_done, f"report: {exc}", True)
            return
        self.app.call_from_thread(
            self._task_done, f"wrote {written[0]} and report.md beside it (open the html in a browser)", False
        )

    def _task_done(self, message: str, failed: bool) -> None:
        self.show_task("")
        self.notify(message, severity="error" if failed else "information", timeout=10)

    def action_sort(self) -> None:
        keys = [k for k, _l, _f in JOB_COLUMNS]
        self.sort_column = keys[(keys.index(self.sort_column) + 1) % len(keys)]
        self._set_job_columns()
        self._fill_jobs()

    def action_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self._set_job_columns()
        self._fill_jobs()

    def action_cancel(self) -> None:
        run_id = self.selected_run
        key = self.tapp.run_key_of_run_id(run_id) if run_id else None
        view = self.tapp.runs.runs.get(key) if key is not None else None
        if key is not None and view is not None and view.active:
            from thtui.tui.screens.confirm import ConfirmScreen

            def answered(yes: bool | None) -> None:
                if yes and self.tapp.cancel_run(key):
                    self.notify(f"cancelling run {run_id}…")

            detail = "Running jobs end; queued ones stay pending, so R (resume) can finish it."
            self.app.push_screen(
                ConfirmScreen(f"Cancel run {run_id}?", detail, yes="Cancel run", no="Keep"), answered
            )
            return
        run = next((r for r in self.runs if r.id == run_id), None)
        if run is not None and run.status == "running":  # another thtui's: SIGTERM to it, as run --cancel
            from thtui.tui.foreign import confirm_cancel

            confirm_cancel(self, run.id, run.owner_pid)
        else:
            self.notify("no running run selected", severity="warning")

    def action_retry(self) -> None:
        from thtui.core.jobs.spec import RunSpec

        job = self.selected_job
        run = next((r for r in self.runs if r.id == self._shown_run), None)
        if job is None or run is None:
            self.notify("select a job to retry", severity="warning")
            return
        from thtui.core.jobs.run_inputs import retry_sources

        spec = RunSpec(
            solutions=(job.solution,),
            **retry_sources(run.run_dir, job.id, job.image),  # the video it came from, if one
            prompt=run.spec.get("prompt"),
            audios=(job.audio,),
            timeout=run.spec.get("timeout"),
            gpus=tuple(run.spec["gpus"]) if run.spec.get("gpus") is not None else None,
        )
        self.tapp.start_run(spec)
        self.notify(f"retrying {job.solution} as a new run")

    def action_resume(self) -> None:
        """Finish an interrupted run in place: its pending jobs run and its failed ones are retried."""
        from thtui.tui.workers import ResumeRequest

        run = next((r for r in self.runs if r.id == self.selected_run), None)
        if run is None:
            return
        if any(r.run_id == run.id and r.active for r in self.tapp.runs.runs.values()):
            self.notify("that run is still running", severity="warning")
            return
        if run.status == "running":  # the decided state: another live thtui runs it (c cancels it)
            self.notify(
                f"run {run.id} is running in another thtui (pid {run.owner_pid}): c cancels it",
                severity="warning",
            )
            return
        self.tapp.start_run(ResumeRequest(run.id, retry_failed=True))
        self.notify(f"resuming {run.id}: pending jobs run, failed ones are retried")

    def action_run_again(self) -> None:
        from thtui.core.jobs.spec import RunSpec

        run = next((r for r in self.runs if r.id == self.selected_run), None)
        if run is None:
            return
        self.tapp.start_run(RunSpec.from_json(run.spec))
        self.notify(f"running {run.id}'s matrix again as a new run")

    def action_delete(self) -> None:
        from thtui.tui.screens.confirm import ConfirmScreen

        run_id = self.selected_run
        if run_id is None:
            return
        if self.tapp.run_key_of_run_id(run_id) and any(
            r.run_id == run_id and r.active for r in self.tapp.runs.runs.values()
        ):
            self.notify("cancel the run before deleting it", severity="warning")
            return
        if any(r.id == run_id and r.status == "running" for r in self.runs):  # another live thtui's run
            self.notify(
                "that run is running in another thtui: cancel it (c) before deleting it", severity="warning"
            )
            return
        self.app.push_screen(
            ConfirmScreen(
                f"Delete run {run_id}?",
                "Removes it from the results and deletes its output folder.",
                yes="Delete",
            ),
            lambda yes: self._delete(run_id) if yes else None,
        )

    @work(thread=True, exit_on_error=False, group="results-delete", description="Deleting a run")
    def _delete(self, run_id: str) -> None:
        ok = self.tapp.results.delete(run_id)
        self.app.call_from_thread(self._deleted, run_id, ok)

    def _deleted(self, run_id: str, ok: bool) -> None:
        self.notify(f"deleted run {run_id}" if ok else f"run {run_id} was already gone")
        self._runs_drawn = False  # force a redraw of the runs table
        self._load(None)
