"""Reach a Ray cluster and list its nodes. Ray is imported here, only when a cluster is used."""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thtui.core.cluster.resources import solutions_in

INSTALL_HINT = "pip install 'thtui[cluster]' (in a checkout: .venv/bin/pip install -e '.[cluster]')"


class ClusterError(RuntimeError):
    """No Ray, no address, or the cluster cannot be reached: one line for the user."""


def ray_module() -> Any:
    try:
        import ray
    except ImportError:
        raise ClusterError(f"Ray is not installed: {INSTALL_HINT}") from None
    return ray


def resolve_address(address: str | None) -> str:
    address = (address or os.environ.get("RAY_ADDRESS") or "").strip()
    if not address:
        raise ClusterError("give the cluster's address (--cluster HOST:6379) or set RAY_ADDRESS")
    return address


_state = {"ours": None, "users": 0}  # the address thtui itself connected this process to, and its runs on it
_state_lock = threading.Lock()


def connect(address: str | None) -> Any:
    """The `ray` module, connected to the cluster at `address` (reused when this process already is; a
    connection thtui made to another address is closed first: the TUI's second Start may name another)."""
    ray = ray_module()
    wanted = (address or os.environ.get("RAY_ADDRESS") or "").strip()
    if ray.is_initialized():
        ours = _state["ours"]
        if ours is None or not wanted or wanted == ours:
            divert_ray_errors()
            return ray
        disconnect(force=True)
    address = resolve_address(address)
    _probe(address)  # Ray itself would retry an unreachable address for minutes
    try:
        # log_to_driver=False: the nodes' worker output would interleave with the live view; the jobs'
        # own output comes back through the relay (thtui.core.cluster.relay) instead.
        ray.init(address=address, namespace="thtui", logging_level="ERROR", log_to_driver=False)
    except Exception as exc:  # ConnectionError, ValueError (bad address), RuntimeError (no local raylet)
        raise ClusterError(f"cannot reach the Ray cluster at {address}: {_first_line(exc)}") from None
    _state["ours"] = address
    divert_ray_errors()
    return ray


def hold() -> None:
    """A cluster run uses the connection (see release)."""
    with _state_lock:
        _state["users"] += 1


def release() -> None:
    """A cluster run is done with the connection: the last one out closes a connection thtui made."""
    with _state_lock:
        _state["users"] = max(0, _state["users"] - 1)
        idle = _state["users"] == 0
    if idle:
        disconnect()


def disconnect(force: bool = False, timeout: float = 15.0) -> None:
    """Close the connection thtui made, unless a run still uses it (`force`: regardless). A process that
    stays connected is ended by Ray itself ~60 s after the cluster's head goes away (Ray's GCS client
    gives up and terminates its process): the TUI outlives its cluster runs, so it must not stay a
    driver. `ray.shutdown()` returns in ~5 s even with the head gone (measured); a thread bounds it anyway.
    A connection thtui did not make (a script's, a test's) is left alone."""
    import sys

    with _state_lock:
        if _state["ours"] is None or (_state["users"] and not force):
            return
        _state["ours"] = None
    ray = sys.modules.get("ray")
    if ray is None:
        return

    def shutdown() -> None:
        with contextlib.suppress(Exception):  # a cluster already gone: nothing left to close there
            ray.shutdown()

    closing = threading.Thread(target=shutdown, name="thtui-ray-shutdown", daemon=True)
    closing.start()
    closing.join(timeout)


RAY_ERRORS_LOG = "ray-errors.log"  # in Ray's session log folder on this machine


def divert_ray_errors() -> Path | None:
    """Ray's driver prints every cluster error it hears of on stdout, from a thread of its own, whatever
    `log_to_driver` says: a dead node comes with its raylet's last log lines (~90 lines over the CLI's live
    view, or drawn over the TUI). thtui says what matters itself (the node lost, the job retried), so those
    messages go to a file instead. Ray has no switch for this: its module-level printer is wrapped (it is
    looked up at each call), and left alone if a Ray version lacks it. Returns the file."""
    try:
        from ray._private import worker as ray_worker
    except ImportError:
        return None
    original = getattr(ray_worker, "print_to_stdstream", None)
    if original is None:
        return None
    if getattr(original, "thtui_log", None) is not None:
        return original.thtui_log
    log = _errors_log(ray_worker)

    def divert(data: dict[str, Any], ignore_prefix: bool) -> None:
        if data.get("pid") != "raylet":  # only the error channel uses this name; anything else as Ray does
            return original(data, ignore_prefix)
        with contextlib.suppress(OSError), log.open("a", encoding="utf-8") as f:
            f.write("".join(f"{line}\n" for line in data.get("lines") or ()))
        return None

    divert.thtui_log = log  # type: ignore[attr-defined]
    ray_worker.print_to_stdstream = divert
    return log


def ray_errors_log() -> Path | None:
    """Where Ray's own cluster messages go in this process (see divert_ray_errors), or None."""
    import sys

    worker = getattr(getattr(sys.modules.get("ray"), "_private", None), "worker", None)
    return getattr(getattr(worker, "print_to_stdstream", None), "thtui_log", None)


def _errors_log(ray_worker: Any) -> Path:
    import tempfile

    try:
        folder = Path(ray_worker.global_worker.node.get_logs_dir_path())
    except Exception:  # a Ray without that attribute: a file of our own in the temp folder
        folder = Path(tempfile.gettempdir())
    return folder / RAY_ERRORS_LOG


def _probe(address: str, timeout: float = 5.0) -> None:
    """A TCP connect to HOST:PORT (or ray://HOST:PORT) first: a wrong or firewalled address is said in
    seconds, in one line. Other forms (`auto`, `local`) are left to Ray."""
    import socket

    from thtui.core.cluster.lifeline import gcs_endpoint

    endpoint = gcs_endpoint(address)
    if endpoint is None:
        return
    try:
        socket.create_connection(endpoint, timeout=timeout).close()
    except OSError as exc:
        why = (
            exc.strerror or type(exc).__name__
            if not isinstance(exc, TimeoutError)
            else f"no answer in {timeout:g} s"
        )
        raise ClusterError(
            f"cannot reach the Ray cluster at {address}: {why} (is `ray start --head` running "
            "there, and the port open to this machine?)"
        ) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


@dataclass(frozen=True)
class NodeInfo:
    node_id: str
    name: str
    address: str
    alive: bool
    gpus: int
    cpus: int
    solutions: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "name": self.name, "address": self.address, "alive": self.alive,
                "gpus": self.gpus, "cpus": self.cpus, "solutions": list(self.solutions)}  # fmt: skip


def list_nodes(ray: Any, known: list[str] | tuple[str, ...] = ()) -> list[NodeInfo]:
    out = []
    for n in ray.nodes():
        res = n.get("Resources") or {}
        out.append(
            NodeInfo(
                node_id=n.get("NodeID", ""),
                name=n.get("NodeName") or n.get("NodeManagerAddress", "?"),
                address=n.get("NodeManagerAddress", "?"),
                alive=bool(n.get("Alive")),
                gpus=int(res.get("GPU", 0)),
                cpus=int(res.get("CPU", 0)),
                solutions=tuple(solutions_in(res, known)),
            )
        )
    return sorted(out, key=lambda n: (not n.alive, n.name, n.node_id))
