"""`thtui runs`: past runs, newest first. Its own module, apart from `thtui run`, so that listing runs
loads only the store and a table (no scheduler, catalog or pydantic): start-up budget of issue 10."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from thtui.cli.common import console, print_json, settings_from, subcommand
from thtui.cli.run_views import runs_table
from thtui.core.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    p = subcommand(sub, "runs", "past runs, newest first, with their ids and job counts")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--follow", metavar="RUN_ID", help="show a run live (an id or 'latest') until it ends")
    p.set_defaults(func=cmd_runs)


def cmd_runs(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.follow:  # states from the store, lines from the jobs' log files (thtui/cli/run_detach.py)
        from thtui.cli.run_detach import follow

        return follow(settings, args.follow)
    store = Store(settings.db_path)
    try:
        runs = store.list_runs()
        scored = {}
        if args.json:  # imported here: the plain listing keeps its start-up budget
            from thtui.core.scores.stored import scored_counts

            scored = scored_counts(store)
    finally:
        store.close()
    if args.json:
        print_json([{**asdict(r), "n_jobs": r.n_jobs, "stale": r.stale, "state": r.state,
                     "scored": scored.get(r.id, {})} for r in runs])  # fmt: skip
        return 0
    out = console()
    if not runs:
        out.print(f"no runs yet in {settings.db_path}", markup=False)
        return 0
    out.print(runs_table(runs))
    say = lambda text: out.print(text, markup=False, highlight=False, soft_wrap=True)  # noqa: E731
    say(f"each run's files: {settings.outputs_dir}/<run id>/")
    for r in runs:  # a run made with another --outputs (or moved) says where it is
        if Path(r.run_dir) != settings.outputs_dir / r.id:
            say(f"  {r.id} is in {r.run_dir}")
    return 0
