"""What `thtui run` and `thtui runs` show: the live view of a run, plain progress lines for logs, the result
and past-runs tables. Ids (run ids, job ids) are never cut short: they are what report/compare/rate/--resume
take."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from thtui.core.jobs import (
    JobFinished,
    JobLog,
    JobProgress,
    JobQueued,
    JobStarted,
    RunFinished,
    RunResult,
    RunStage,
    RunStarted,
)
from thtui.core.monitor import MiB, MonitorSnapshot
from thtui.core.wording import plural


# ---- live view --------------------------------------------------------------------------------------
@dataclass
class JobView:
    rel: str
    state: str = "queued"
    gpu: int | str | None = None  # "0,1" for a job that holds several GPUs
    node: str = ""  # a cluster run: the node it runs on (thtui.core.cluster's JobPlaced)
    started: float | None = None
    ended: float | None = None
    line: str = ""
    fraction: float | None = None
    vram_peak: int = 0
    vram_now: int | None = None
    result: str = ""


@dataclass
class LiveState:
    run_id: str = ""
    run_dir: str = ""
    jobs: dict[str, JobView] = field(default_factory=dict)
    stage: str = ""
    warnings: list[str] = field(default_factory=list)  # shown above the table for the whole run
    snap: MonitorSnapshot | None = None
    # A cluster run: node id -> that node's latest NodeGpus, or NodeGpusLost once it left (thtui.core.cluster)
    nodes: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_event(self, e) -> None:
        with self.lock:
            if isinstance(e, RunStarted):
                self.run_id, self.run_dir = e.run_id, e.run_dir
                for j in e.jobs:
                    view = JobView(j.job_id.split("/", 1)[1])
                    if j.job_id in e.skipped:
                        view.state = "done earlier"
                    self.jobs[j.job_id] = view
            elif isinstance(e, RunStage) and e.level == "warning":
                self.warnings.append(e.detail)
            elif isinstance(e, RunStage):
                self.stage = f"{e.stage}: {e.detail}"
            elif isinstance(e, RunFinished):
                self.stage = e.status
            elif isinstance(e, JobQueued) and e.job.job_id in self.jobs:
                self.jobs[e.job.job_id].state = "queued"
            elif isinstance(e, JobStarted):
                v = self.jobs[e.job_id]
                gpu = ",".join(map(str, e.gpus)) if len(e.gpus) > 1 else e.gpu
                v.state, v.gpu, v.started = "running", gpu, time.monotonic()
            elif isinstance(e, JobLog) and e.stream != "thtui" and e.line.strip():
                self.jobs[e.job_id].line = e.line.strip()
            elif isinstance(e, JobProgress):
                self.jobs[e.job_id].fraction = e.fraction
            elif isinstance(e, JobFinished):
                v = self.jobs[e.job_id]
                v.state, v.ended = e.status, time.monotonic()
                v.result = e.metrics.failure_class or ""
            elif type(e).__name__ == "JobPlaced" and e.job_id in self.jobs:  # no import: Ray-free start-up
                self.jobs[e.job_id].node = e.node
            elif type(e).__name__ in ("NodeGpus", "NodeGpusLost"):
                self.nodes[e.node_id] = e
            elif isinstance(e, MonitorSnapshot):
                self.snap = e
                for u in e.jobs:
                    if u.job_id in self.jobs and u.vram_bytes is not None:
                        v = self.jobs[u.job_id]
                        v.vram_now, v.vram_peak = u.vram_bytes, max(v.vram_peak, u.vram_bytes)

    def render(self) -> Group:
        with self.lock:
            head = Text(f"run {self.run_id}  {self.stage}", style="bold")
            t = Table(expand=True, box=None, pad_edge=False)
            widest = max((len(v.rel) for v in self.jobs.values()), default=3)  # job ids never cut short
            for col, kw in (("job", {"ratio": 2, "no_wrap": True, "min_width": widest}), ("state", {}),
                            ("GPU", {"justify": "right"}), ("elapsed", {"justify": "right"}), ("VRAM now/peak", {"justify": "right"}),
                            ("progress", {"ratio": 3, "no_wrap": True})):  # fmt: skip
                t.add_column(col, **kw)
            now = time.monotonic()
            for v in self.jobs.values():
                elapsed = f"{(v.ended or now) - v.started:.1f}s" if v.started else ""
                vram = f"{(v.vram_now or 0) / MiB:.0f}/{v.vram_peak / MiB:.0f} MiB" if v.vram_peak else ""
                pct = f"{v.fraction * 100:3.0f}% " if v.fraction is not None and v.state == "running" else ""
                style = {"ok": "green", "failed": "red", "cancelled": "yellow", "running": "cyan"}.get(
                    v.state, ""
                )
                state = v.state + (f" ({v.result})" if v.result else "")
                gpu = (f"{v.node}:" if v.node else "") + ("-" if v.gpu is None else str(v.gpu))
                t.add_row(v.rel, Text(state, style=style), gpu, elapsed, vram,
                          Text(pct + v.line, overflow="ellipsis", no_wrap=True))  # fmt: skip
            warnings = [Text(f"warning: {w}", style="bold yellow") for w in self.warnings]
            nodes = node_lines(list(self.nodes.values()), self.jobs)
            return Group(head, *warnings, machine_line(self.snap), *nodes, t)


def machine_line(snap: MonitorSnapshot | None) -> Text:
    if snap is None:
        return Text("")
    h = snap.host
    parts = [f"CPU {h.cpu_pct:.0f}%  RAM {h.ram_used / 2**30:.1f}/{h.ram_total / 2**30:.0f} GiB"]
    for g in snap.gpus:
        mem = f"{(g.mem_used or 0) / 2**30:.1f}/{(g.mem_total or 0) / 2**30:.0f} GiB"
        util = f"{g.util_pct:.0f}%" if g.util_pct is not None else "?"
        power = f" {g.power_w:.0f} W" if g.power_w is not None else ""
        parts.append(f"GPU{g.index} {util} {mem}{power}")
    if snap.gpu_error:
        parts.append(f"(no GPU panel: {snap.gpu_error})")
    return Text("   ".join(parts), style="dim")


def node_lines(nodes: list, jobs: dict[str, JobView]) -> list[Text]:
    """A cluster run: one line per node GPU (`node:index`, utilisation, VRAM used/total, the job on it).
    The job is the one the node found on the GPU, else the running job placed there; a node that left the
    cluster says so instead of showing its last numbers."""
    running = {(v.node, v.gpu): v.rel for v in jobs.values() if v.state == "running" and v.node}
    rows: list[tuple[str, str]] = []
    for n in sorted(nodes, key=lambda n: n.node):
        if type(n).__name__ == "NodeGpusLost":
            rows.append((f"{n.node} lost", f"({n.reason})"))
            continue
        if not n.gpus:
            rows.append((n.node, f"no GPU readings: {n.error or 'none found'}"))
        for g in n.gpus:
            found = [j.split("/", 1)[-1] for j in n.jobs_on(g.index)]
            job = ", ".join(found) or running.get((n.node, g.index), "")
            util = f"{g.util_pct:.0f}%" if g.util_pct is not None else "?"
            mem = f"{(g.mem_used or 0) / 2**30:.1f}/{(g.mem_total or 0) / 2**30:.0f} GiB"
            rows.append((n.label(g.index) + (" (head)" if n.head else ""), f"{util:>4}  {mem:>13}  {job}"))
    width = max((len(label) for label, _ in rows), default=0)
    return [Text(f"{label:<{width}}  {rest}".rstrip(), style="dim", no_wrap=True, overflow="ellipsis")
            for label, rest in rows]  # fmt: skip


def print_line(out, e) -> None:
    """Non-terminal output (a log file, CI): one plain line per milestone instead of a live table."""
    if isinstance(e, RunStarted):
        out.print(f"run {e.run_id}: {plural(len(e.jobs), 'job')} -> {e.run_dir}", markup=False)
    elif isinstance(e, RunStage):
        out.print(
            f"{'warning' if e.level == 'warning' else e.stage}: {e.detail}", markup=False, soft_wrap=True
        )
    elif isinstance(e, JobStarted):
        from thtui.core.jobs.gpu_sets import describe_gpus  # 'GPU 0', or 'GPUs 0,1' for a multi-GPU job

        out.print(f"started  {e.job_id} (pid {e.pid}, {describe_gpus(e.gpus or e.gpu)})", markup=False)
    elif isinstance(e, JobFinished):
        m = e.metrics
        why = f" {m.failure_class}: {m.failure_message}" if m.failure_class else ""
        out.print(f"finished {e.job_id}: {e.status} in {m.wall_s or 0:.2f} s{why}", markup=False)
    elif type(e).__name__ == "NodeGpusLost":  # samples themselves are for the live view only
        out.print(f"node {e.node}: its GPUs leave the view ({e.reason})", markup=False)
    elif type(e).__name__ == "JobScored":  # thtui.core.scores.pipeline (no import: light start-up)
        from thtui.cli.score_run import scored_line

        out.print(scored_line(e, out.width), markup=False, soft_wrap=True)


def fmt(value: float | None, spec: str = ".2f", unit: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{unit}"


def id_column(table: Table, header: str, values: list[str]) -> None:
    """A column of ids (run ids, job ids) is what report/compare/rate/--resume take: never cut it short;
    the other columns wrap or fold around it."""
    table.add_column(header, no_wrap=True, min_width=max(map(len, [header, *values])))


def result_table(result: RunResult) -> Table:
    """One row per job, its id in full. Units sit in the headers and failures are named under the table,
    so at 80 columns every number stays whole too (headers wrap instead)."""
    t = Table(title=f"run {result.run_id}: {result.status}", title_justify="left", box=box.SIMPLE_HEAD,
              pad_edge=False, collapse_padding=True)  # fmt: skip
    rows = []
    for j in result.jobs:
        m = j.metrics
        rel = j.job.job_id.split("/", 1)[1]
        if j.job.warmup and "warmup" not in rel:
            rel += " (warm-up)"
        if m is None:
            rows.append([rel, j.status, *["-"] * 6])
            continue
        if m.extra.get("shared_gpu"):
            rel += " (shared GPU)"
        vram = fmt(m.vram_peak_mb, ".0f") + (" Δdev" if m.vram_attribution == "device-delta" else "")
        rows.append([rel, j.status, fmt(m.wall_s), fmt(m.rtf), vram, fmt(m.gpu_util_mean, ".0f"),
                     fmt(m.energy_j, ".1f"), fmt(m.rss_peak_mb, ".0f")])  # fmt: skip
    id_column(t, "job", [r[0] for r in rows])
    t.add_column("status")
    for col in ("wall\ns", "RTF", "peak VRAM\nMiB", "GPU\nutil %", "energy\nJ", "peak RSS\nMiB"):
        t.add_column(col, justify="right")
    for row in rows:
        t.add_row(*row)
    return t


def runs_table(runs: list) -> Table:
    """Past runs, ids in full. Folders are not a column (paths would squeeze the ids at 80 columns):
    `cmd_runs` names them under the table."""
    # No vertical rules: at 80 columns the id, a status word, the date and the counts all fit whole.
    t = Table(
        title=f"{plural(len(runs), 'run')}, newest first",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    id_column(t, "run id", [r.id for r in runs])
    t.add_column("status", min_width=len("interrupted"))
    t.add_column("started", no_wrap=True)  # month-day and time: the year is in the run id
    t.add_column("solutions", min_width=len("audio2head"))
    t.add_column("jobs\nok/failed/other", no_wrap=True, min_width=len("ok/failed/other"))
    for r in runs:
        ok, failed = r.counts.get("ok", 0), r.counts.get("failed", 0)
        state = r.state  # thtui.core.run_state decides (owner alive? folder there?)
        words = {"interrupted": "interrupted (thtui was stopped)", "missing": "missing (folder gone)"}
        status = words.get(state, state)
        t.add_row(r.id, status, time.strftime("%m-%d %H:%M", time.localtime(r.created_at)),
                  ", ".join(r.spec.get("solutions", [])), f"{ok}/{failed}/{r.n_jobs - ok - failed}")  # fmt: skip
    return t
