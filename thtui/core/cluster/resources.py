"""What a node advertises to Ray and what a job asks for: plain data, no Ray import.

A ready solution is a custom resource `thtui_sol_<name>`. Its quantity says how many of its jobs the
node may run at once: 1 when the manifest says the clone is exclusive (upstream scripts that write
cwd-relative temp files, as on one box: thtui.core.jobs.queue), else a large number (the GPUs limit it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from thtui.core.catalog import Catalog, LoadedSolution
from thtui.core.config import Settings

PREFIX = "thtui_sol_"
MANY = 1000.0  # "as many as the GPUs allow": Ray needs a number, and a node never has 1000 GPUs
NODE_NAME_ENV = "THTUI_NODE_NAME"  # set by `thtui cluster join --name` in the node's Ray processes


def resource_name(solution: str) -> str:
    return PREFIX + re.sub(r"[^A-Za-z0-9_]", "_", solution)


def exclusive(loaded: LoadedSolution) -> bool:
    sol = loaded.solution
    infer = getattr(sol, "infer", None)
    return sol.kind == "upstream" and bool(getattr(infer, "exclusive_cwd", False))


def gpus_needed(loaded: LoadedSolution) -> int:
    """GPUs one job of this solution holds: 0 for a CPU system, `infer.gpus` when the manifest has it."""
    if not loaded.solution.needs_gpu:
        return 0
    infer = getattr(loaded.solution, "infer", None)
    return max(1, int(getattr(infer, "gpus", None) or 1))


def ready_solutions(settings: Settings, catalog: Catalog) -> list[LoadedSolution]:
    from thtui.core.install_status import solution_status

    return [
        catalog.get(n) for n in catalog.names() if solution_status(settings, catalog.get(n)).state == "ready"
    ]


def node_resources(settings: Settings, catalog: Catalog) -> dict[str, float]:
    """The custom resources this machine offers the cluster: one per ready solution."""
    return {
        resource_name(s.name): (1.0 if exclusive(s) else MANY) for s in ready_solutions(settings, catalog)
    }


def task_options(loaded: LoadedSolution) -> dict:
    """Ray options of one job: its GPUs (the GPU is the limit, so no CPU is reserved for a GPU job) and one
    unit of its solution's resource, so it only lands on a node that has the solution ready."""
    gpus = gpus_needed(loaded)
    return {"num_gpus": gpus, "num_cpus": 0 if gpus else 1, "resources": {resource_name(loaded.name): 1.0}}


def solutions_in(resources: Mapping[str, float], known: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The solutions a node's resources advertise (names from `known` when they match, else the raw tail)."""
    by_resource = {resource_name(n): n for n in known}
    return sorted(
        by_resource.get(k, k[len(PREFIX) :]) for k, v in resources.items() if k.startswith(PREFIX) and v > 0
    )


def join_argv(
    ray_exe: str,
    address: str | None,
    resources: Mapping[str, float],
    *,
    num_gpus: int | None = None,
    node_name: str | None = None,
    node_ip: str | None = None,
    block: bool = False,
    head_port: int | None = None,
) -> list[str]:
    """`ray start` for this machine (an argv list: no shell ever sees the JSON). `head_port`: start the
    cluster's head here (its dashboard bound to 127.0.0.1 only) instead of joining `address`."""
    argv = [ray_exe, "start"]
    if head_port is not None:
        argv += ["--head", "--port", str(head_port), "--dashboard-host", "127.0.0.1"]
    else:
        argv += ["--address", str(address)]
    argv += ["--resources", json.dumps(dict(resources), sort_keys=True)]
    if num_gpus is not None:
        argv += ["--num-gpus", str(num_gpus)]
    if node_name:
        argv += ["--node-name", node_name]
    if node_ip:
        argv += ["--node-ip-address", node_ip]
    if block:
        argv.append("--block")
    return argv
