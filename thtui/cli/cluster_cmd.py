"""`thtui cluster join|status|setup`: several machines on one Ray cluster (optional extra `cluster`).

The run itself is `thtui run … --cluster ADDRESS` (thtui.cli.run_cmds hands the address to the RunSpec
through `with_cluster` below; thtui.core.cluster does the rest). Ray is imported only by the commands
that use it, never by `thtui --help` or a single-box run.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from thtui.cli.common import CliError, catalog_from, console, print_json, settings_from, subcommand

HELP = "several machines, one benchmark: join a Ray cluster, list its nodes, install on every node"


def register(sub: argparse._SubParsersAction) -> None:
    p = subcommand(sub, "cluster", HELP)
    p.set_defaults(func=lambda args: p.print_help() or 2)  # an ACTION is required: argparse says so first
    cs = p.add_subparsers(dest="cluster_command", metavar="ACTION", required=True)

    j = subcommand(cs, "join", "start Ray on this machine as a node of the cluster at ADDRESS, advertising "
                   "the solutions ready here")  # fmt: skip
    j.add_argument("address", nargs="?", help="the head's HOST:PORT (default: $RAY_ADDRESS)")
    j.add_argument("--head", action="store_true", help="start the cluster here instead (its head; this "
                   "machine's ready solutions and GPUs run jobs too); dashboard on 127.0.0.1 only")  # fmt: skip
    j.add_argument("--port", type=int, default=6379, help="with --head: the port nodes join (default 6379)")
    j.add_argument("--name", help="this node's name in thtui and Ray (default: the host name)")
    j.add_argument("--num-gpus", type=int, help="GPUs to offer (default: every GPU NVML sees here)")
    j.add_argument("--node-ip", help="the address other nodes reach this one at (a private interface)")
    j.add_argument("--block", action="store_true", help="stay in the foreground until Ray stops")
    j.add_argument("--dry-run", action="store_true", help="print the `ray start` command; start nothing")
    j.set_defaults(func=cmd_join)

    s = subcommand(cs, "status", "the cluster's nodes: alive or not, GPUs, solutions ready on each")
    s.add_argument("--cluster", metavar="ADDRESS", help="the head's HOST:PORT (default: $RAY_ADDRESS)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_status)

    u = subcommand(cs, "setup", "install solutions on every node (or --nodes), each with thtui's own "
                   "resumable setup; progress per node")  # fmt: skip
    u.add_argument("solutions", nargs="+", metavar="NAME")
    u.add_argument("--cluster", metavar="ADDRESS", help="the head's HOST:PORT (default: $RAY_ADDRESS)")
    u.add_argument("--nodes", help="comma-separated node names (default: every live node)")
    u.set_defaults(func=cmd_setup)


# ---- thtui run --cluster (called from thtui.cli.run_cmds) -------------------------------------------------
def with_cluster(args: argparse.Namespace, spec):
    """The spec with the cluster address of `--cluster [ADDRESS]` (or $RAY_ADDRESS), or unchanged."""
    if getattr(args, "cluster", None) is None:
        return spec
    from thtui.core.cluster.connect import ClusterError, resolve_address
    from thtui.core.jobs import RunError

    try:
        return dataclasses.replace(spec, cluster=resolve_address(args.cluster))
    except (ClusterError, RunError) as exc:
        raise CliError(str(exc)) from None


def check_cluster_run(settings, catalog, spec) -> None:
    """What a cluster run refuses before it starts (the nodes, not this box), as one CliError."""
    from thtui.core.cluster.head import cluster_preflight
    from thtui.core.jobs import RunError

    try:
        cluster_preflight(settings, catalog, spec)
    except RunError as exc:
        raise CliError(str(exc)) from None


# ---- commands -------------------------------------------------------------------------------------------
def _connect(address: str | None):
    from thtui.core.cluster.connect import ClusterError, connect

    try:
        return connect(address)
    except ClusterError as exc:
        raise CliError(str(exc)) from None


def _ray_exe() -> str:
    beside = Path(sys.executable).parent / "ray"  # the ray of this environment, not another one on PATH
    exe = str(beside) if beside.is_file() else shutil.which("ray")
    if not exe:
        from thtui.core.cluster.connect import INSTALL_HINT

        raise CliError(f"Ray is not installed: {INSTALL_HINT}")
    return exe


def cmd_join(args: argparse.Namespace) -> int:
    from thtui.core.cluster.connect import ClusterError, resolve_address
    from thtui.core.cluster.resources import NODE_NAME_ENV, join_argv, node_resources

    settings = settings_from(args)
    catalog = catalog_from(settings)
    address = None
    if args.head and args.address:
        raise CliError(
            "--head starts a cluster here: give no ADDRESS (nodes join this machine's --node-ip:--port)"
        )
    if args.node_ip and _is_loopback(args.node_ip):
        raise CliError(
            f"--node-ip {args.node_ip} is a loopback address: other machines cannot reach it (Ray replaces "
            "127.0.0.1 and localhost with this machine's outward address, and listens on every interface "
            "whatever --node-ip says); give this machine's private address (ip -4 addr), or leave it out"
        )
    if not args.head:
        try:
            address = resolve_address(args.address)
        except ClusterError as exc:
            raise CliError(str(exc)) from None
    resources = node_resources(settings, catalog)
    gpus = args.num_gpus
    if gpus is None:
        from thtui.core.monitor import open_backend

        backend = open_backend()
        gpus = backend.device_count() or None  # none seen: Ray's own detection decides
        backend.close()
    argv = join_argv(_ray_exe(), address, resources, num_gpus=gpus, node_name=args.name,
                     node_ip=args.node_ip, block=args.block, head_port=args.port if args.head else None)  # fmt: skip
    out = console()
    ready = sorted(k.removeprefix("thtui_sol_") for k in resources)
    out.print(f"this node offers: {', '.join(ready) or 'no ready solution'}; GPUs: "
              f"{gpus if gpus is not None else 'as Ray detects'}", markup=False, soft_wrap=True)  # fmt: skip
    if not resources:
        out.print(
            "warning: no solution is ready here; install some (thtui setup NAME), then join", markup=False
        )
    if args.dry_run:
        out.print(" ".join(argv), markup=False, soft_wrap=True)
        return 0
    env = dict(os.environ)
    if args.name:
        env[NODE_NAME_ENV] = args.name  # the node's jobs name it in their events and metrics
    code, stopped = _ray_start(argv, env)
    if args.block and stopped:  # we were asked to stop, and Ray's processes here ended with us
        out.print("left the cluster (Ray stopped on this node)", markup=False)
        return 0
    if code != 0:
        raise CliError(f"`ray start` failed (exit {code}); see its output above", code=1)
    out.print("joined. After installing or removing a solution here: ray stop, then join again "
              "(a node's solutions are fixed while Ray runs)", markup=False, soft_wrap=True)  # fmt: skip
    return 0


def _ray_start(argv: list[str], env: dict[str, str]) -> tuple[int, bool]:
    """Run `ray start`; a stop signal to us (Ctrl-C, SIGTERM, SIGHUP) is passed on to it, so that with
    --block Ray's processes on this node end with us instead of staying behind."""
    proc = subprocess.Popen(argv, env=env)
    stopped: list[int] = []

    def forward(signum, _frame) -> None:
        stopped.append(signum)
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)

    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        return proc.wait(), bool(stopped)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def cmd_status(args: argparse.Namespace) -> int:
    from thtui.core.cluster.connect import list_nodes

    settings = settings_from(args)
    catalog = catalog_from(settings)
    ray = _connect(args.cluster)
    nodes = list_nodes(ray, catalog.names())
    if args.json:
        print_json({"nodes": [n.to_json() for n in nodes]})
        return 0
    from rich.table import Table

    table = Table(title=f"{sum(n.alive for n in nodes)} live node(s)", title_justify="left")
    for col in ("node", "address", "state", "GPUs", "CPUs", "ready solutions"):
        table.add_column(col)
    for n in nodes:
        table.add_row(n.name, n.address, "alive" if n.alive else "dead", str(n.gpus), str(n.cpus),
                      ", ".join(n.solutions) or "-")  # fmt: skip
    console().print(table)
    return 0


def cmd_setup(args: argparse.Namespace) -> int:
    from thtui.core.cluster.setup_nodes import setup_on_cluster

    settings = settings_from(args)
    catalog = catalog_from(settings)
    unknown = [n for n in args.solutions if n not in catalog]
    if unknown:
        raise CliError(f"unknown solution(s): {', '.join(unknown)} (known: {', '.join(catalog.names())})")
    ray = _connect(args.cluster)
    wanted = [n.strip() for n in (args.nodes or "").split(",") if n.strip()]
    out = console()

    def say(node: str, line: str) -> None:
        out.print(f"[{node}] {line}", markup=False, soft_wrap=True)

    try:
        results = setup_on_cluster(ray, args.solutions, wanted, say)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    failed = [r for r in results if not r["ok"]]
    for r in results:
        say(r["node"], "ok" if r["ok"] else f"FAILED: {r['error']}")
    if any(r["ok"] for r in results):
        out.print("nodes advertise what they had when they joined: on each node that installed something, "
                  "ray stop, then thtui cluster join again", markup=False, soft_wrap=True)  # fmt: skip
    return 1 if failed else 0


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[] ")).is_loopback
    except ValueError:  # a host name: Ray resolves it; only the literal loopback forms are rewritten
        return False
