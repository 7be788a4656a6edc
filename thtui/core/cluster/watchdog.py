"""Ends a cluster job's process tree when the Ray worker that started it dies.

On one box the runner ends its trees (and an atexit net catches the rest). On a node, Ray may kill the
worker outright (its node lost, a forced cancel, the head gone): the job's tree lives in its own session
and would go on holding the GPU. The node starts this as a separate process with a pipe from the worker:
EOF on the pipe without a "done" line means the worker is gone, so every process whose environment
carries this attempt's token (THTUI_CLUSTER_ATTEMPT) gets SIGTERM, then SIGKILL.

    python -m thtui.core.cluster.watchdog TOKEN     (stdin: the pipe)
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

ATTEMPT_ENV = "THTUI_CLUSTER_ATTEMPT"


def marked(token: str) -> list:
    import psutil

    found = []
    for p in psutil.process_iter():
        try:
            if p.pid != os.getpid() and p.environ().get(ATTEMPT_ENV) == token:
                found.append(p)
        except (psutil.Error, OSError):
            continue
    return found


def end_marked(token: str, grace: float = 3.0) -> list[int]:
    import psutil

    procs = marked(token)
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive + marked(token):  # + anything started during the grace period
        with contextlib.suppress(psutil.Error):
            p.kill()
    return [p.pid for p in procs]


def start(token: str) -> subprocess.Popen:
    """The watchdog of one attempt; write b"done\\n" to its stdin and close it when the job ended normally."""
    return subprocess.Popen(
        [sys.executable, "-m", "thtui.core.cluster.watchdog", token],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # a signal to the worker's group must not take the watchdog with it
    )


def stop(proc: subprocess.Popen, ended: bool = True) -> None:
    """`ended`: the job's tree is gone (the runner reaped it); otherwise the watchdog ends it now."""
    try:
        assert proc.stdin is not None
        if ended:
            proc.stdin.write(b"done\n")
        proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=5)  # the first process only forks the watchdog and leaves
    except subprocess.TimeoutExpired:
        proc.kill()


def main(argv: list[str]) -> int:
    token = argv[0]
    # Leave the worker's children at once: Ray ends a worker's direct children when the worker exits (the
    # job's root among them), and would take the watchdog with them before it could end the rest of the
    # tree. The grandchild keeps the pipe, so it still sees the worker go.
    if os.fork() > 0:
        os._exit(0)
    data = sys.stdin.buffer.read()  # blocks until the worker closes the pipe, or dies
    if b"done" in data:
        return 0
    time.sleep(0.2)  # let a dying worker's own terminate reach the tree first
    end_marked(token)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
