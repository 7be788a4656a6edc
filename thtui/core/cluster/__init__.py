"""Runs over several machines on a Ray cluster (optional: `pip install 'thtui[cluster]'`).

The head (the machine where `thtui run --cluster ADDRESS` runs) plans the matrix, prepares each input once
and keeps the only SQLite store and results.jsonl; each job becomes a Ray task that needs its GPUs and the
custom resource of its solution (`thtui_sol_<name>`), which only nodes that have that solution ready
advertise (`thtui cluster join`). On the node the job runs through the same runner as on one box
(thtui.core.jobs.runner.run_job); its files come back to the head as it ends.

Nothing here imports Ray at module level: the single-box path never loads it (tests/unit/
test_import_hygiene.py). Modules: resources (names, what a node advertises), connect (reach a cluster,
list its nodes), node (the node-side entry), relay (live events and cancel between head and nodes),
head (preflight and the executor the scheduler calls), watchdog (ends a job's tree when its Ray worker
dies), setup_nodes (`thtui cluster setup`).
"""
