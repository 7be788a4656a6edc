"""The head's (and each node's) watch on the cluster's GCS: a refused connect is firm evidence, a silent one
(a timeout, no route) may be a network blip and must last before a run is stopped for it."""

from __future__ import annotations

import socket
import threading
import time

from thtui.core.cluster.lifeline import Lifeline


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: a connect is refused
    return port


def test_refused_connects_mean_lost_after_a_few_probes() -> None:
    lost = threading.Event()
    line = Lifeline(f"127.0.0.1:{_closed_port()}", lost.set, period=0.05, refused_after=3).start()
    try:
        assert lost.wait(5) and line.lost.is_set()
    finally:
        line.close()


def test_a_silent_head_must_stay_silent_before_the_run_is_stopped(monkeypatch) -> None:
    lost = threading.Event()
    line = Lifeline("10.0.0.1:6379", lost.set, period=0.05, refused_after=3, silent_after_s=1.0)
    monkeypatch.setattr(line, "_probe", lambda: "silent")  # every probe times out
    started = time.monotonic()
    line.start()
    try:
        assert not lost.wait(0.5)  # ten silent probes: not yet (three refused ones would have been)
        assert lost.wait(5)
        assert time.monotonic() - started >= 1.0
    finally:
        line.close()


def test_an_answer_resets_the_count(monkeypatch) -> None:
    lost = threading.Event()
    line = Lifeline("10.0.0.1:6379", lost.set, period=0.02, refused_after=3, silent_after_s=60)
    answers = iter(["refused", "refused", "ok"] * 20)
    monkeypatch.setattr(line, "_probe", lambda: next(answers, "ok"))
    line.start()
    try:
        assert not lost.wait(1.5)
    finally:
        line.close()
