"""The Run form's cluster field: `thtui run … --cluster ADDRESS` from the form (issue 14).

Empty runs on this box. The form checks only the address's syntax (run_form.cluster_address_problem);
reaching the cluster is slow (Ray's import, a TCP probe, `ray.init`), so Start does it in a thread worker
through the core's own refusal (thtui.core.cluster.head.cluster_preflight, which `thtui run --cluster` calls
too) and only then hands the spec to the App like any run. Ray is imported by that worker, never by
opening or filling the form: a single-box run never loads it.
"""

from __future__ import annotations

import os
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, SelectionList, Static

from thtui.tui.screens.base import deliver
from thtui.tui.screens.run_solutions import fill_solutions

SOLUTIONS_HERE = "Solutions (only ready ones run)"
SOLUTIONS_ON_NODES = "Solutions (a cluster run: what the nodes have ready counts)"


def cluster_rows() -> ComposeResult:
    with Horizontal(classes="row"):
        label = Label("cluster", classes="field-label")
        label.tooltip = (
            "Run the jobs on the nodes of a Ray cluster (HOST:PORT of its head), as `thtui run --cluster`: "
            "each job goes to a node where its solution is ready. Nodes join with `thtui cluster join`."
        )
        yield label
        yield Input(placeholder=_placeholder(), id="cluster", compact=True)
    yield Static("", id="cluster-error", classes="error")


def _placeholder() -> str:
    env = os.environ.get("RAY_ADDRESS", "").strip()
    hint = f" (RAY_ADDRESS is {env})" if env else ""
    return f"empty: this box · or a Ray head's HOST:PORT{hint}"


class ClusterStart:
    """Mixed into RunScreen: Start of a cluster run reaches the cluster in a worker first."""

    _cluster_pending = False

    def cluster_set(self) -> bool:
        return bool(self.query_one("#cluster", Input).value.strip())

    def _list_solutions(self, rows: list, chosen: set[str]) -> None:
        self._listed_for_cluster = cluster = self.cluster_set()
        self.query_one("#solutions-label", Label).update(SOLUTIONS_ON_NODES if cluster else SOLUTIONS_HERE)
        selections = self.query_one("#solutions", SelectionList)
        fill_solutions(selections, self.tapp.catalog, rows, self.ready, chosen, cluster)

    def start_on_cluster(self, spec: Any) -> None:
        if self._cluster_pending:
            self.notify("still reaching the cluster for the last Start")
            return
        self._cluster_pending = True
        self._set_error("#cluster-error", "")
        self.query_one("#start-status", Static).update(
            Text(f"reaching the Ray cluster at {spec.cluster}…", style="italic")
        )
        self._reach_cluster(spec)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="run-cluster",
        description="Reaching the cluster",
    )
    def _reach_cluster(self, spec: Any) -> None:
        from thtui.tui.services import cluster_run_problem

        try:
            problem = cluster_run_problem(self.tapp.settings, self.tapp.catalog, spec)
        except Exception as exc:  # a bug or an odd Ray failure: one line, never a dead Start button
            problem = f"{type(exc).__name__}: {exc}"
        deliver(self, self._cluster_answered, spec, problem)

    def _cluster_answered(self, spec: Any, problem: str | None) -> None:
        self._cluster_pending = False
        if problem is None:
            self.launch(spec)
            return
        self._set_error("#cluster-error", Text(f"✗ {problem}", style="bold red"))
        self.query_one("#start-status", Static).update(
            Text("not started: the cluster refused the run (see above)", style="bold red")
        )
        self.query_one("#cluster", Input).focus()
