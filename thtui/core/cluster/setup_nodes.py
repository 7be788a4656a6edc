"""`thtui cluster setup NAME…`: the same resumable setup engine on every node, as one Ray task per node.

Each task is pinned to its node (NodeAffinitySchedulingStrategy, not soft) and runs
thtui.core.setup.engine.install with that node's settings; its step lines come back through a relay
(thtui.core.cluster.relay), tagged with the node's name, while it runs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from thtui.core.cluster.relay import Relay


def _line(ev: Any) -> str | None:
    """One progress line of a setup event (downloads' byte counts and log lines stay in the node's log)."""
    from thtui.core.setup import events as se

    if isinstance(ev, se.StepStarted):
        return f"{ev.solution}: [{ev.index}/{ev.total}] {ev.title}"
    if isinstance(ev, se.StepSkipped):
        return f"{ev.solution}: {ev.step} skipped ({ev.reason})"
    if isinstance(ev, se.StepFinished):
        return f"{ev.solution}: {ev.step} done in {ev.seconds:.1f} s"
    if isinstance(ev, se.StepFailed):
        return f"{ev.solution}: {ev.step} FAILED: {ev.error} (log: {ev.log_path})"
    if isinstance(ev, se.SetupFinished):
        return f"{ev.solution}: {'ready' if ev.ok else 'not ready'} ({ev.state}) after {ev.seconds:.1f} s"
    return None


def setup_here(solutions: list[str], relay: Any, node: str) -> list[dict[str, Any]]:
    """On the node: install each solution in turn; one result per solution."""
    import ray

    from thtui.core.catalog import Catalog
    from thtui.core.config import load_settings
    from thtui.core.setup.engine import install

    settings = load_settings()
    catalog = Catalog.load(settings.solutions_dir)

    def sink(ev: Any) -> None:
        line = _line(ev)
        if line is not None:
            with contextlib.suppress(Exception):  # progress is lost, not the install
                ray.get(relay.push.remote(node, [(node, line)]), timeout=10)

    out = []
    for name in solutions:
        if name not in catalog:
            out.append({"solution": name, "ok": False, "error": f"no solution {name!r} on this node"})
            continue
        res = install(settings, catalog.get(name), sink)
        out.append({"solution": name, "ok": res.ok, "error": res.error, "log": res.log_path})
    return out


def setup_on_cluster(
    ray: Any, solutions: list[str], node_names: list[str], say: Callable[[str, str], None]
) -> list[dict[str, Any]]:
    """Install `solutions` on every live node (or those named); `say(node, line)` as each step moves.
    One result per node: {"node", "ok", "error", "solutions": [...]}. ValueError for an unknown name."""
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    from thtui.core.cluster.connect import list_nodes

    nodes = [n for n in list_nodes(ray) if n.alive]
    if node_names:
        unknown = sorted(set(node_names) - {n.name for n in nodes})
        if unknown:
            raise ValueError(
                f"no live node named {', '.join(unknown)} (live: {', '.join(n.name for n in nodes)})"
            )
        nodes = [n for n in nodes if n.name in node_names]
    here = ray.get_runtime_context().get_node_id()
    relay = (
        ray.remote(num_cpus=0)(Relay)
        .options(scheduling_strategy=NodeAffinitySchedulingStrategy(here, soft=False))
        .remote()
    )
    task = ray.remote(num_cpus=0, max_retries=0)(setup_here)
    refs = {
        task.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n.node_id, soft=False)).remote(
            solutions, relay, n.name
        ): n
        for n in nodes
    }
    results: list[dict[str, Any]] = []
    pending = list(refs)
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=0.5)
            for node, line in ray.get(relay.drain.remote()):
                say(node, line)
            for ref in done:
                node = refs[ref]
                try:
                    per = ray.get(ref)
                except Exception as exc:  # the node died, or its setup code raised
                    results.append({"node": node.name, "ok": False, "error": str(exc).splitlines()[0]})
                    continue
                bad = [p for p in per if not p["ok"]]
                error = "; ".join(f"{p['solution']}: {p['error']}" for p in bad)
                results.append({"node": node.name, "ok": not bad, "error": error, "solutions": per})
            time.sleep(0)
    finally:
        for node, line in ray.get(relay.drain.remote()):
            say(node, line)
        ray.kill(relay)
    return results
