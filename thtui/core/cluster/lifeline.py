"""Notices when the head loses its Ray cluster (the head node's GCS gone: that machine died, or `ray stop`
there), so the run can stop as interrupted and say how to resume, instead of hanging until Ray ends the
process (Ray retries the GCS for gcs_rpc_server_reconnect_timeout_s, 60 s by default, then kills the driver
with a line of its own and no goodbye).

A plain TCP connect to the GCS port every PROBE_S. A refused connect is firm evidence (the machine answers,
nothing listens: the GCS process is gone), so REFUSED_AFTER of them in a row mean lost; a connect that times
out or finds no route may be a network blip, so only SILENT_AFTER_S of those do. Nothing of Ray is called
here: with the GCS down, Ray's own calls block.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

PROBE_S = 1.0
REFUSED_AFTER = 3  # refused connects in a row: a few seconds, well inside Ray's own 60 s
SILENT_AFTER_S = 30.0  # of timeouts/unreachable: half of Ray's own 60 s, past a blip


def gcs_endpoint(address: str) -> tuple[str, int] | None:
    """HOST:PORT (or ray://HOST:PORT) of the cluster; None for forms without a port (`auto`)."""
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return None
    return host.strip("[]"), int(port)


class Lifeline:
    def __init__(
        self,
        address: str,
        on_lost: Callable[[], None],
        period: float = PROBE_S,
        refused_after: int = REFUSED_AFTER,
        silent_after_s: float = SILENT_AFTER_S,
    ):
        self.endpoint = gcs_endpoint(address)
        self.on_lost, self.period = on_lost, period
        self.refused_after, self.silent_after_s = refused_after, silent_after_s
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="thtui-cluster-lifeline", daemon=True)

    def start(self) -> Lifeline:
        if self.endpoint is not None:
            self._thread.start()
        return self

    def _probe(self) -> str:
        """ "ok", "refused" (nothing listens there) or "silent" (a timeout, no route, a failed lookup)."""
        try:
            socket.create_connection(self.endpoint, timeout=max(0.5, self.period * 2)).close()  # type: ignore[arg-type]
        except ConnectionRefusedError:
            return "refused"
        except OSError:
            return "silent"
        return "ok"

    def _loop(self) -> None:
        refused, failing_since = 0, None
        while not self._stop.wait(self.period):
            answer = self._probe()
            if answer == "ok":
                refused, failing_since = 0, None
                continue
            refused = refused + 1 if answer == "refused" else 0
            failing_since = failing_since if failing_since is not None else time.monotonic()
            if refused >= self.refused_after or time.monotonic() - failing_since >= self.silent_after_s:
                self.lost.set()
                self.on_lost()
                return

    def call(self, fn: Callable[[], Any], default: Any) -> Any:
        """fn() on a thread of its own, or `default` once the cluster is lost meanwhile: a Ray call that
        needs the GCS (ray.nodes(), an actor's answer) blocks for a minute when it is gone. fn's own
        exception is raised here."""
        box: dict[str, Any] = {}
        done = threading.Event()

        def run() -> None:
            try:
                box["value"] = fn()
            except Exception as exc:
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=run, name="thtui-ray-call", daemon=True).start()
        while not done.wait(0.2):
            if self.lost.is_set():
                return default
        if "error" in box:
            raise box["error"]
        return box["value"]

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
