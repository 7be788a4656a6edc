"""Monitor: a panel per GPU (fixed-scale utilisation and memory history, temperature, power), the host,
the GPU processes with the job that owns each, the job queue, and the live log of the selected job.

During a cluster run every node's GPUs get a panel too (`node:index`, the job on it in its bottom border),
after this machine's, fed by the run's NodeGpus events (thtui.tui.node_gpus); a node that left the cluster
keeps its panels, marked lost, with no numbers. The queue and the process table name a node's GPUs the same
way.

The queue holds this session's jobs and those of runs owned by other live thtui processes (a detached
run, `thtui run` in another pane: thtui.tui.foreign), whose rows say their run; c/C on those ask that
run's owner to end it, as `thtui run --cancel` does."""

from __future__ import annotations

from collections import Counter

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal
from textual.widgets import DataTable, Static

from thtui.tui import format as fmt
from thtui.tui.screens.base import ThtuiScreen
from thtui.tui.state import JobView
from thtui.tui.widgets.fit_table import set_columns
from thtui.tui.widgets.gpu_panel import GpuPanel, HostPanel
from thtui.tui.widgets.log_view import LogView
from thtui.tui.widgets.node_panels import GpuColumn, node_panel_count, sync_node_panels
from thtui.tui.workers import job_log_key

STATE_STYLE = {
    "ok": "green",
    "failed": "bold red",
    "cancelled": "yellow",
    "running": "bold cyan",
    "queued": "dim",
}
NO_GPU_HELP = "no NVIDIA GPU"
NARROW_WIDTH = 120  # below this the process table keeps its minimum width and the queue takes the rest
QUEUE_COLUMNS = (("job", "job", 9), ("state", "state", 11), ("gpu", "gpu", 3), ("time", "elapsed", 6))
PROC_COLUMNS = (("pid", "pid", 7), ("gpu", "gpu", 3), ("VRAM", "vram", 6), ("owner", "owner", 9))


def job_label(job_id: str) -> str:
    """'20250101-120000-ab12/static/r1' -> 'static/r1' (the run id is in the run's own line)."""
    parts = job_id.split("/")
    return "/".join(parts[1:]) if len(parts) > 1 else job_id


def queue_label(job_id: str, several_runs: bool, foreign_mark: str = "") -> Text:
    """With jobs of several runs in the queue, each row also says its run by the id's last part
    ('static/r1 ab12', the tag dimmed), which is what `thtui runs` and Results show at the end of the id.
    A job of another process's run always says its run, then `foreign_mark` ('↗': it runs elsewhere)."""
    label = Text(job_label(job_id))
    run_id = job_id.split("/", 1)[0]
    if (several_runs or foreign_mark) and run_id != job_id:
        label.append(
            " " + run_id.rsplit("-", 1)[-1] + (f" {foreign_mark}" if foreign_mark else ""), style="dim"
        )
    return label


def newest_active(jobs: list[JobView]) -> str | None:
    """The job to watch when the user has not chosen one: the latest started running job, else the first
    queued one of the newest run."""
    running = [j for j in jobs if j.state == "running"]
    if running:
        return max(running, key=lambda j: j.started_at or 0.0).job_id
    queued = [j for j in jobs if j.state == "queued"]
    if not queued:
        return None
    newest_run = max(j.run_id for j in queued)  # run ids start with their start time
    return next(j.job_id for j in queued if j.run_id == newest_run)


class MonitorScreen(ThtuiScreen):
    MODE = "monitor"
    BINDINGS = [
        Binding("c", "cancel_job", "Cancel job"),
        Binding("C", "cancel_run", "Cancel run", show=False),
        Binding("f", "follow", "Follow log"),
        Binding("l", "open_log", "Full log"),
    ]

    def __init__(self) -> None:
        super().__init__()
        # Until the user picks a job, the queue and the log follow the newest running job, so a second
        # run is watched (and cancellable with c/C) without hunting for it. `f` goes back to that.
        self._auto_follow = True
        # Rows the screen itself moved the cursor to, whose RowHighlighted is still on its way: those
        # are not the user's choice (several refreshes can be in flight during a burst of job events).
        self._moved_to: Counter[str] = Counter()
        self._followed_job: str | None = None  # whose log the pane shows (its buffer may not exist yet)
        self._gpu_column = GpuColumn()  # wider once a cluster node's `node:index` shows there

    def compose_body(self) -> ComposeResult:
        yield Static("", id="gpu-note")
        yield Grid(HostPanel(id="host"), id="panels")
        with Horizontal(id="monitor-tables"):
            yield DataTable(id="queue", cursor_type="row")
            yield DataTable(id="procs", cursor_type="row")
        yield LogView(id="job-log", placeholder="Select a job in the queue: its output streams here.")

    def on_mount(self) -> None:
        super().on_mount()
        queue = self.query_one("#queue", DataTable)
        queue.border_title = "jobs"
        for label, key, width in (
            ("job", "job", 18),
            ("state", "state", 12),
            ("gpu", "gpu", 3),
            ("elapsed", "elapsed", 7),
        ):
            queue.add_column(label, key=key, width=width)
        procs = self.query_one("#procs", DataTable)
        procs.border_title = "GPU processes"
        for label, key, width in (
            ("pid", "pid", 7),
            ("gpu", "gpu", 3),
            ("VRAM", "vram", 6),
            ("owner", "owner", 24),
        ):
            procs.add_column(label, key=key, width=width)
        self.tapp.sampled.subscribe(self, self._on_sample)
        self.tapp.jobs_changed.subscribe(self, lambda _key: self._refresh_queue())
        self.tapp.logs_changed.subscribe(self, self._logs_changed)
        self.tapp.nodes_sampled.subscribe(self, lambda _key: self._show_nodes())
        self.set_interval(1.0, self._tick_elapsed)
        self.set_class(self.app.size.height >= 40, "-tall")
        self.set_class(self.app.size.width < NARROW_WIDTH, "-narrow")
        self._refresh_queue()
        if self.tapp.latest_snapshot is not None:
            self._on_sample(self.tapp.latest_snapshot)
        else:
            self.query_one("#gpu-note", Static).update("waiting for the first reading…")
        self._show_nodes()
        queue.focus()

    def on_resize(self) -> None:
        self.set_class(self.app.size.height >= 40, "-tall")  # taller graphs when there is room
        self.set_class(self.app.size.width < NARROW_WIDTH, "-narrow")  # the job names get the room
        self.call_after_refresh(self._build_tables)

    def _build_tables(self) -> None:
        narrow, gpu = self.app.size.width < NARROW_WIDTH, self._gpu_column
        set_columns(
            self.query_one("#queue", DataTable), gpu.columns(QUEUE_COLUMNS, narrow), flex="job", max_flex=32
        )
        set_columns(
            self.query_one("#procs", DataTable), gpu.columns(PROC_COLUMNS, narrow), flex="owner", max_flex=32
        )
        self._refresh_queue()
        self._show_processes(self.tapp.latest_processes)

    def _fit_gpu_column(self, labels: list[str]) -> bool:
        """True when the tables were rebuilt (and filled) for a wider gpu column: the caller stops there."""
        if not self._gpu_column.grows(labels, self.app.size.width < NARROW_WIDTH):
            return False
        self._build_tables()
        return True

    def on_screen_resume(self) -> None:
        self.query_one("#job-log", LogView).pull()  # lines that came while another screen was shown

    # ---- panels ------------------------------------------------------------------------------------
    def _on_sample(self, snapshot) -> None:
        history = self.tapp.history
        note = self.query_one("#gpu-note", Static)
        if snapshot.gpu_error or not snapshot.gpus:
            note.update(
                Text(
                    f"{NO_GPU_HELP}: {snapshot.gpu_error or 'none found'} — "
                    + (
                        "this machine's host panel, then the nodes' GPUs"
                        if node_panel_count(self.tapp.node_gpus)
                        else "host panels only"
                    ),  # fmt: skip
                    style="bold yellow",
                )
            )
            note.display = True
        else:
            note.display = False
        panels = self.query_one("#panels", Grid)
        have = {p.index: p for p in self.query(GpuPanel)}
        for reading in snapshot.gpus:
            panel = have.get(reading.index)
            if panel is None:
                panel = GpuPanel(reading.index, id=f"gpu-{reading.index}")
                panels.mount(panel, before=self.query_one(HostPanel))
            self._show_gpu(panel, reading)
        host_note = "" if snapshot.pids_visible else "GPU pids not visible (container): VRAM by device delta"
        self.query_one(HostPanel).show(snapshot.host, history.cpu, history.ram, note=host_note)
        self._fit_grid()
        self._show_processes(self.tapp.latest_processes)

    def _fit_grid(self) -> None:
        """As many panel columns as there are panels, at least 40 cells each."""
        snapshot = self.tapp.latest_snapshot
        count = len(snapshot.gpus) if snapshot is not None else 0
        count += node_panel_count(self.tapp.node_gpus) + 1  # + the host
        self.query_one("#panels", Grid).styles.grid_size_columns = min(count, max(1, self.size.width // 40))

    def _show_nodes(self) -> None:
        """A panel per GPU of each node of a cluster run, after this machine's; lost nodes say so."""
        running = {j.job_id for j in self.tapp.runs.jobs.values() if j.state == "running"}
        sync_node_panels(self.query_one("#panels", Grid), self.tapp.node_gpus, running, job_label)
        self._fit_grid()
        self._show_processes(self.tapp.latest_processes)

    def _show_gpu(self, panel: GpuPanel, reading) -> None:
        series = self.tapp.history.gpus.get(reading.index)
        if series is not None:
            panel.show(reading, tuple(series.util), tuple(series.mem))

    def _show_processes(self, rows) -> None:
        node_rows = self.tapp.node_gpus.process_rows()
        if self._fit_gpu_column([r.gpu for r in node_rows]):
            return  # the rebuilt table was filled
        table = self.query_one("#procs", DataTable)
        table.clear()
        for row in rows:
            owner = job_label(row.job_id) if row.job_id else Text(fmt.ellipsize(row.command, 40), style="dim")
            table.add_row(str(row.pid), str(row.gpu), fmt.size_bytes(row.used_bytes), owner)
        for row in node_rows:  # a node's process: its job of the run, as the node named it
            owner = job_label(row.job_id) if row.job_id else Text("not this run's", style="dim")
            table.add_row(str(row.pid), self._gpu_column.cell(row.gpu), fmt.size_bytes(row.used_bytes), owner)
        if not rows and not node_rows:
            table.add_row(Text("none", style="dim"), "", "", "")

    # ---- queue -------------------------------------------------------------------------------------
    def _jobs(self) -> list[JobView]:
        """This session's jobs, then those of other processes' runs (thtui.tui.foreign)."""
        own = self.tapp.runs.jobs
        return [*own.values(), *(j for k, j in self.tapp.foreign.jobs.items() if k not in own)]

    def _job(self, job_id: str | None) -> JobView | None:
        if job_id is None:
            return None
        return self.tapp.runs.jobs.get(job_id) or self.tapp.foreign.jobs.get(job_id)

    def _is_foreign(self, job_id: str) -> bool:
        return job_id not in self.tapp.runs.jobs and job_id in self.tapp.foreign.jobs

    def _foreign_mark(self, job_id: str) -> str:
        if not self._is_foreign(job_id):
            return ""
        return "^" if self.tapp.ascii_only else "↗"

    def _refresh_queue(self) -> None:
        table = self.query_one("#queue", DataTable)
        selected = self.selected_job
        now = self.tapp.clock()
        jobs = self._jobs()
        if not jobs:
            table.clear()
            table.add_row(Text("no jobs yet", style="dim"), Text("2: Run", style="dim"), "", "")
            self.query_one("#job-log", LogView).follow(
                None, placeholder="The selected job's output streams here."
            )
            return
        if any(self._job(key.value) is None for key in table.rows):
            table.clear()  # the "no jobs yet" line
        # Rows are updated in place, never rebuilt: a rebuilt table puts its cursor on the first row and
        # announces that as a highlight, indistinguishable from the user's choice.
        several_runs = len({j.run_id for j in jobs}) > 1
        board = self.tapp.node_gpus
        gpu_cells = {  # multi-GPU: all; a job of a cluster run: node:GPU
            j.job_id: "—" if j.gpu is None else ",".join(map(str, j.gpus or (j.gpu,))) for j in jobs
        }
        on_nodes = {
            j: self._gpu_column.cell(board.gpu_label(j, cell))
            for j, cell in gpu_cells.items()
            if j in board.placed
        }
        if self._fit_gpu_column([board.gpu_label(j, "") for j in on_nodes]):
            return  # the rebuilt table was filled
        gpu_cells.update(on_nodes)
        for job in jobs:
            state = job.state
            if job.state == "running" and job.progress is not None:
                state = f"running {job.progress * 100:.0f}%"
            cells = (
                queue_label(job.job_id, several_runs, self._foreign_mark(job.job_id)),
                Text(state, style=STATE_STYLE.get(job.state, "")),
                gpu_cells[job.job_id],
                fmt.duration(job.elapsed(now)),
            )
            if job.job_id in table.rows:
                for column, value in zip(("job", "state", "gpu", "elapsed"), cells, strict=True):
                    table.update_cell(job.job_id, column, value)
            else:
                table.add_row(*cells, key=job.job_id)
        ids = [j.job_id for j in jobs]
        if self._auto_follow or selected not in ids:
            target = newest_active(jobs) or (selected if selected in ids else ids[-1])
        else:
            target = selected
        if table.cursor_row != ids.index(target):
            self._moved_to[target] += 1
        table.move_cursor(row=ids.index(target), animate=False)
        self._follow(target)

    def _tick_elapsed(self) -> None:
        table = self.query_one("#queue", DataTable)
        now = self.tapp.clock()
        for job in self._jobs():
            if job.state == "running" and job.job_id in table.rows:
                table.update_cell(job.job_id, "elapsed", fmt.duration(job.elapsed(now)))

    @property
    def selected_job(self) -> str | None:
        table = self.query_one("#queue", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return key if self._job(key) is not None else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "queue" and self._job(event.row_key.value) is not None:
            key = str(event.row_key.value)
            if self._moved_to[key] > 0:
                self._moved_to[key] -= 1
            elif key != self._followed_job:
                self._auto_follow = False  # the user chose this job: stay on it
            self._follow(str(event.row_key.value))

    def _follow(self, job_id: str) -> None:
        self._followed_job = job_id
        log = self.query_one("#job-log", LogView)
        key = job_log_key(job_id)
        if log.following != key:
            run = self.tapp.foreign.run_of_job(job_id) if self._is_foreign(job_id) else None
            where = f" (run {run.run_id} of thtui pid {run.owner_pid})" if run is not None else ""
            log.border_title = f"log — {job_label(job_id)}{where}"
            log.follow(self.tapp.logs.get(key), placeholder=f"{job_label(job_id)}: no output yet")

    def _logs_changed(self, key: str) -> None:
        log = self.query_one("#job-log", LogView)
        if log.following == key:
            log.request_pull()
        elif log.following is None and self.selected_job and key == job_log_key(self.selected_job):
            log.follow(self.tapp.logs.get(key))

    # ---- actions -----------------------------------------------------------------------------------
    def action_cancel_job(self) -> None:
        from thtui.tui.screens.confirm import ConfirmScreen

        job_id = self.selected_job
        job = self.tapp.runs.jobs.get(job_id) if job_id else None
        if job_id is not None and self._is_foreign(job_id):
            self._cancel_foreign(job_id)  # another process runs it: only its whole run can be ended
            return
        if job_id is None or job is None or job.state != "running":
            self.notify("the selected job is not running (C cancels its whole run)", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if not self.tapp.cancel_job(job_id):
                self.notify("that job already ended", severity="warning")
                return
            self.notify(f"cancelling {job_label(job_id)}…")

        # One key ends minutes of GPU work: ask first (No has the focus, so enter alone keeps it).
        question = f"Cancel {job_label(job_id)}?"
        detail = "Its processes are ended; it is recorded as cancelled (no timing) and resume leaves it."
        self.app.push_screen(ConfirmScreen(question, detail, yes="Cancel job", no="Keep"), answered)

    def action_cancel_run(self) -> None:
        from thtui.tui.screens.confirm import ConfirmScreen

        job_id = self.selected_job
        if job_id is not None and self._is_foreign(job_id):
            self._cancel_foreign(job_id)
            return
        key = self.tapp.run_key_of_job(job_id) if job_id else None
        run = self.tapp.runs.runs.get(key) if key else None
        if key is None or run is None or not run.active:
            self.notify("no running run selected", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if not self.tapp.cancel_run(key):
                self.notify("that run already ended", severity="warning")
                return
            self.notify("cancelling the run: running jobs end, queued ones stay pending (resumable)")

        detail = "Running jobs end; queued ones stay pending, so `thtui run --resume` can finish it."
        self.app.push_screen(
            ConfirmScreen("Cancel the whole run?", detail, yes="Cancel run", no="Keep"), answered
        )

    def _cancel_foreign(self, job_id: str) -> None:
        from thtui.tui.foreign import confirm_cancel

        run = self.tapp.foreign.run_of_job(job_id)
        if run is None or not run.active:
            self.notify("that run is not running any more", severity="warning")
            return
        confirm_cancel(self, run.run_id, run.owner_pid)

    def action_follow(self) -> None:
        self._auto_follow = True  # back to the newest running job, and to the end of its log
        self._refresh_queue()
        log = self.query_one("#job-log", LogView)
        log.auto_scroll = True
        log.scroll_end(animate=False)

    def action_open_log(self) -> None:
        from thtui.tui.screens.log_file import LogFileScreen

        job = self._job(self.selected_job)
        if job is None or not job.log_path:
            self.notify("the selected job has no log file yet", severity="warning")
            return
        self.app.push_screen(LogFileScreen(f"job log — {job_label(job.job_id)}", job.log_path))
