"""Solutions: every system with its install status, disk, VRAM estimate and licence; install, reinstall,
uninstall, verify, cancel, and the live setup log with per-step progress. Several installs run at once.

The table scrolls (the catalog has more systems than 80x24 shows) and filters with G (fits this GPU, by the
largest board the monitor has seen), C (commercial use) and I (installed): the same core filters as
`thtui list --fits-gpu/--commercial/--installed` (thtui.core.catalog.filters). The table's border says how
many systems are shown and which filters are on."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from thtui.core.catalog import LoadedSolution
from thtui.core.catalog.filters import CatalogFilter, keep
from thtui.core.install_status import InstallStatus
from thtui.tui import format as fmt
from thtui.tui.screens.base import ThtuiScreen, deliver
from thtui.tui.services import SolutionRow, solution_rows
from thtui.tui.widgets.fit_table import set_columns
from thtui.tui.widgets.log_view import LogView
from thtui.tui.widgets.step_list import StepList
from thtui.tui.workers import install_log_key

STATUS_STYLE = {
    "ready": "bold green",
    "not installed": "dim",
    "partial": "yellow",
    "outdated": "yellow",
    "broken": "bold red",
    "failed": "bold red",
    "cancelled": "yellow",
}
COMMERCIAL = {"yes": "yes", "no": "NO", "unknown": "?"}
# (label, key, width): widths fixed so a status like "installing 100%" never gets cut at 80 columns.
COLUMNS = (
    ("solution", "name", 15),  # soulx_flashhead
    ("status", "status", 15),
    ("disk", "disk", 6),
    ("VRAM", "vram", 6),
    ("comm.", "comm", 5),
    ("licence", "licence", 7),  # code/weights when they differ; the side panel has the full text
)


def short_licence(text: str) -> str:
    """'none stated (no LICENSE file; ...)' -> 'none stated': the detail is on the side panel."""
    return text.split(" (")[0].split(";")[0].strip()


class SolutionsScreen(ThtuiScreen):
    MODE = "solutions"
    BINDINGS = [
        Binding("i", "install", "Install"),
        Binding("u", "uninstall", "Uninstall"),
        Binding("v", "verify", "Verify"),
        Binding("l", "show_log", "Log"),
        Binding("c", "cancel", "Cancel"),
        Binding("R", "reinstall", "Reinstall"),
        Binding("ctrl+r", "refresh", "Refresh", show=False),
        # Filters: capitals, beside the lower-case actions; listed on the table's border (80 columns of
        # footer are taken by the actions above) and in the help screen.
        Binding("G", "toggle_filter('fits_gpu')", "Filter: fits this GPU", show=False),
        Binding("C", "toggle_filter('commercial')", "Filter: commercial use", show=False),
        Binding("I", "toggle_filter('installed')", "Filter: installed", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, SolutionRow] = {}
        self.filters: dict[str, bool] = {"fits_gpu": False, "commercial": False, "installed": False}
        self._gpu_bytes: int | None = None  # the largest GPU the monitor has reported (bytes)

    def compose_body(self) -> ComposeResult:
        table: DataTable = DataTable(id="solutions", cursor_type="row", zebra_stripes=True)
        yield table
        with Horizontal(id="solution-bottom"):
            with Vertical(id="solution-side"):
                yield Static(id="solution-info")
                yield StepList(id="steps")
                yield Static(id="solution-about", classes="dim")
            yield LogView(id="install-log", placeholder="Select a solution; its setup log streams here.")

    def on_mount(self) -> None:
        super().on_mount()
        self._build_table()
        self.tapp.installs_changed.subscribe(self, self._install_changed)
        self.tapp.logs_changed.subscribe(self, self._logs_changed)
        self.tapp.sampled.subscribe(self, self._sampled)
        self._gpu_bytes = self._largest_gpu()
        self.query_one("#solutions", DataTable).focus()
        self.refresh_rows()
        self._show_selected()

    def on_screen_resume(self) -> None:
        self.query_one("#install-log", LogView).pull()  # lines that came while another screen was shown

    def on_resize(self) -> None:
        self.call_after_refresh(self._build_table)

    # ---- filters ----------------------------------------------------------------------------------
    @property
    def catalog_filter(self) -> CatalogFilter:
        f = self.filters
        snap = self.tapp.latest_snapshot
        count = len(snap.gpus) if snap is not None and snap.gpus else None
        return CatalogFilter(f["fits_gpu"], self._gpu_bytes, f["commercial"], f["installed"], count)

    def _state(self, name: str) -> str:
        row = self.rows.get(name)
        return row.status.state if row is not None else "unknown"  # not read yet: not "ready"

    def shown(self) -> list[LoadedSolution]:
        """The catalog's systems that pass the active filters, in catalog order."""
        f = self.catalog_filter
        return [loaded for loaded in self.tapp.catalog if keep(loaded, self._state(loaded.name), f)]

    def _largest_gpu(self) -> int | None:
        snap = self.tapp.latest_snapshot
        totals = [g.mem_total for g in (snap.gpus if snap is not None else ()) if g.mem_total]
        return max(totals) if totals else None

    def _sampled(self, _snapshot) -> None:
        largest = self._largest_gpu()
        if largest != self._gpu_bytes:
            self._gpu_bytes = largest
            if self.filters["fits_gpu"]:
                self._build_table()
            else:
                self._describe_filters()

    def action_toggle_filter(self, which: str) -> None:
        self.filters[which] = not self.filters[which]
        self._build_table()
        self._show_selected()

    def _describe_filters(self) -> None:
        """Border title: how many systems are shown (and by which filters); subtitle: the filter keys, the
        active ones highlighted."""
        table = self.query_one("#solutions", DataTable)
        total, shown = len(self.tapp.catalog), table.row_count
        f = self.catalog_filter
        table.border_title = f"{shown} of {total} systems: {f.describe()}" if f.active else f"{total} systems"
        gpu = f"fits {self._gpu_bytes / 1000**3:.0f} GB" if self._gpu_bytes else "fits GPU"
        keys = (("G", gpu, "fits_gpu"), ("C", "commercial", "commercial"), ("I", "installed", "installed"))
        table.border_subtitle = " · ".join(
            f"[reverse]{k} {label}[/]" if self.filters[which] else f"{k} {label}" for k, label, which in keys
        )

    def _build_table(self) -> None:
        table = self.query_one("#solutions", DataTable)
        selected = self.selected
        set_columns(table, COLUMNS, flex="licence")
        width = table.columns[next(k for k in table.columns if k.value == "licence")].width
        for loaded in self.shown():
            sol = loaded.solution
            n = sol.infer.gpus  # a multi-GPU job: its estimate on each of its GPUs
            vram = (f"{n}×" if n > 1 else "") + f"{sol.estimates.vram_gb:g}G" if sol.needs_gpu else "no GPU"
            code, weights = short_licence(sol.license.code), short_licence(sol.license.weights)
            licence = fmt.ellipsize(code if code == weights else f"{code}/{weights}", width)
            comm = Text(
                COMMERCIAL[sol.license.commercial], style="bold red" if sol.license.commercial == "no" else ""
            )
            table.add_row(
                sol.name,
                self.status_text(sol.name),
                self.disk_text(sol.name),
                vram,
                comm,
                licence,
                key=sol.name,
            )
        if selected is not None and selected in table.rows:
            table.move_cursor(row=table.get_row_index(selected), animate=False)
        self._describe_filters()

    # ---- data -----------------------------------------------------------------------------------
    def action_refresh(self) -> None:
        self.refresh_rows()

    def refresh_rows(self) -> None:
        self._load_rows()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="solution-rows",
        description="Reading install status",
    )
    def _load_rows(self) -> None:
        rows = solution_rows(self.tapp.settings, self.tapp.catalog)
        deliver(self, self._apply_rows, rows)

    def _apply_rows(self, rows: list[SolutionRow]) -> None:
        self.rows = {r.name: r for r in rows}
        if self.filters["installed"]:  # install states decide which rows there are
            self._build_table()
        for name in self.rows:
            self._update_row(name)
        self._show_selected()

    def status_text(self, name: str) -> Text:
        progress = self.tapp.installs.get(name)
        if progress is not None and progress.active:
            return Text(progress.label, style="bold cyan")
        row = self.rows.get(name)
        if row is None:
            return Text("…", style="dim")
        state = row.status.state
        return Text(state, style=STATUS_STYLE.get(state, ""))

    def disk_text(self, name: str) -> str:
        loaded = self.tapp.catalog.get(name)
        row = self.rows.get(name)
        if loaded.solution.kind == "builtin":
            return "—"
        if row is not None and row.disk_bytes is not None:
            return fmt.size_bytes(row.disk_bytes)
        return f"~{loaded.solution.estimates.disk_gb:g}G"

    def _update_row(self, name: str) -> None:
        table = self.query_one("#solutions", DataTable)
        if name not in table.rows:  # filtered out
            return
        table.update_cell(name, "status", self.status_text(name))
        table.update_cell(name, "disk", self.disk_text(name))

    @property
    def selected(self) -> str | None:
        table = self.query_one("#solutions", DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    # ---- live updates -----------------------------------------------------------------------------
    def _install_changed(self, name: str) -> None:
        progress = self.tapp.installs.get(name)
        if progress is not None and not progress.active:
            self.refresh_rows()  # the record on disk changed: re-read status and size
        self._update_row(name)
        if name == self.selected:
            self._show_selected()

    def _logs_changed(self, key: str) -> None:
        log = self.query_one("#install-log", LogView)
        if log.following == key:
            log.request_pull()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        name = self.selected
        if name is None:
            f = self.catalog_filter
            if f.active:  # everything filtered out: say so where the details would be
                self.query_one("#solution-info", Static).update(
                    Text(f"No system matches: {f.describe()}.\nG, C and I switch the filters off again.")
                )
                self.query_one("#solution-about", Static).update("")
                self.query_one(StepList).progress = None
                self.query_one(StepList).refresh(layout=True)
            return
        loaded = self.tapp.catalog.get(name)
        sol = loaded.solution
        progress = self.tapp.installs.get(name)
        row = self.rows.get(name)
        status: InstallStatus | None = row.status if row else None
        info = Text()
        info.append(f"{sol.title}\n", style="bold")
        if progress is not None and (progress.active or not progress.ok):
            info.append(
                f"{progress.action}: {progress.label}", style=STATUS_STYLE.get(progress.label, "bold cyan")
            )
            if progress.error:
                info.append(f"\n{progress.error}", style="red")
            if progress.hint:
                info.append(f"\nhint: {progress.hint}")
            if progress.note:
                info.append(f"\n{progress.note}", style="italic")
        elif status is not None:
            info.append(f"status: {status.state}", style=STATUS_STYLE.get(status.state, ""))
            if status.detail:
                info.append(f" — {status.detail}", style="dim")
            if row is not None and row.env_backend:
                info.append(f"\nenv built by {row.env_backend}", style="dim")
        self.query_one("#solution-info", Static).update(info)
        est = sol.estimates
        about = Text(f"{sol.summary}\n")
        per = f" on each of {sol.infer.gpus} GPUs (one job holds them together)" if sol.infer.gpus > 1 else ""
        about.append(
            f"needs ~{est.vram_gb:g} GB VRAM{per}, ~{est.disk_gb:g} GB disk; {est.sec_per_sec:g} s per s of audio\n"
        )
        about.append(
            f"licence: code {sol.license.code}; weights {sol.license.weights}; commercial use: {sol.license.commercial}"
        )
        exts = sol.env.cuda_extensions if sol.env is not None else []
        if exts:  # flash-attn & co: `thtui doctor` says which wheel fits this machine or what a build needs
            listed = ", ".join(e.package + ("" if e.required else " (optional)") for e in exts)
            about.append(f"\nCUDA extensions: {listed} (thtui doctor: wheel or build)")
        self.query_one("#solution-about", Static).update(about)
        self.query_one(StepList).progress = progress
        self.query_one(StepList).refresh(layout=True)
        log = self.query_one("#install-log", LogView)
        buffer = self.tapp.logs.get(install_log_key(name))
        placeholder = "(no output yet · i installs · l last log)"
        log.follow(buffer, placeholder=placeholder)

    # ---- actions ---------------------------------------------------------------------------------
    def _target(self, name: str | None) -> str | None:
        name = name or self.selected
        if name is None:
            return None
        if self.tapp.catalog.get(name).solution.kind == "builtin":
            self.notify(f"{name} is built in: nothing to install", severity="information")
            return None
        return name

    def action_solution_action(self, name: str, action: str) -> None:
        target = self._target(name)
        if target is None:
            return
        if action in ("uninstall", "reinstall"):
            from thtui.tui.screens.confirm import ConfirmScreen

            detail = (
                "Deletes its clone and env (shared weights are kept)."
                if action == "uninstall"
                else "Redoes every setup step from scratch."
            )
            self.app.push_screen(
                ConfirmScreen(f"{action.capitalize()} {target}?", detail, yes=action.capitalize()),
                lambda yes: self._start(target, action) if yes else None,
            )
            return
        self._start(target, action)

    def _start(self, name: str, action: str) -> None:
        if self.tapp.start_install(name, action):
            self._update_row(name)
            self._show_selected()

    def action_install(self) -> None:
        self.action_solution_action(self.selected or "", "install")

    def action_reinstall(self) -> None:
        self.action_solution_action(self.selected or "", "reinstall")

    def action_uninstall(self) -> None:
        self.action_solution_action(self.selected or "", "uninstall")

    def action_verify(self) -> None:
        self.action_solution_action(self.selected or "", "verify")

    def action_cancel(self) -> None:
        name = self.selected
        if name and not self.tapp.cancel_install(name):
            self.notify(f"{name}: nothing running to cancel")

    def action_show_log(self, name: str | None = None) -> None:
        from thtui.tui.screens.log_file import LogFileScreen

        name = name or self.selected
        if name is None:
            return
        progress = self.tapp.installs.get(name)
        row = self.rows.get(name)
        known = (progress.log_path if progress else None) or (row.status.log if row else None)
        logs_dir = self.tapp.settings.logs_dir

        def locate() -> str | None:  # runs in the log screen's worker: globbing touches the disk
            if known:
                return known
            found = (
                sorted(logs_dir.glob(f"*{name}*.log"), key=lambda p: p.stat().st_mtime)
                if logs_dir.is_dir()
                else []
            )
            return str(found[-1]) if found else None

        from thtui.tui.workers import install_log_key

        buffer = self.tapp.logs.get(install_log_key(name))
        in_app = buffer.since(0)[0] if buffer is not None else None
        self.app.push_screen(LogFileScreen(f"setup log — {name}", locate, fallback=in_app))
