"""The Run form's list of solutions: ready ones selectable (first), the others saying why not.

For a cluster run (the form's cluster field set) what is installed on this box does not matter: the nodes'
installs do, and the core refuses a solution no live node has ready (thtui.core.cluster.head) when Start
reaches the cluster. Every system is selectable then, and the ones not installed here say so.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import SelectionList
from textual.widgets.selection_list import Selection


def fill_solutions(
    selections: SelectionList, catalog, rows: list, ready: set[str], chosen: set[str], cluster: bool
) -> None:
    """Replace the list's options; `chosen` stay ticked where they may be run."""
    highlighted = selections.highlighted
    # Ready systems first (catalog order within each group): with 16 systems, the runnable ones would
    # otherwise sit below a screenful of not-installed rows.
    rows = sorted(rows, key=lambda r: r.name not in ready)
    selections.clear_options()
    for row in rows:
        solution = catalog.get(row.name).solution
        runnable = cluster or row.name in ready
        if row.name in ready:
            need = "CPU" if not solution.needs_gpu else f"~{solution.estimates.vram_gb:g} GB VRAM"
            prompt = Text.assemble((row.name, "bold"), f"  {solution.title} · {need}")
        elif cluster:
            prompt = Text.assemble(
                (row.name, "bold"),
                f"  {solution.title}",
                ("  · not installed here", "dim"),
            )
        else:
            why = row.status.state + (f" ({row.status.detail})" if row.status.detail else "")
            prompt = Text.assemble((row.name, "bold"), (f"  {why}: install it on Solutions (1, i)", "dim"))
        selections.add_option(
            Selection(prompt, row.name, runnable and row.name in chosen, disabled=not runnable)
        )
    # Keep a visible cursor for keyboard users: where it was, else on the first runnable system.
    if highlighted is not None and highlighted < len(rows):
        selections.highlighted = highlighted
    elif rows and (cluster or rows[0].name in ready):
        selections.highlighted = 0
