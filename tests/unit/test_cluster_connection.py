"""thtui's Ray connection (thtui.core.cluster.connect) with a stand-in `ray`: the TUI must not stay a Ray
driver between runs (Ray ends a connected process ~60 s after the head goes away), a second Start with
another address must not reuse the first cluster, and a connection thtui did not make is left alone."""

from __future__ import annotations

import sys
import types

import pytest

from thtui.core.cluster import connect as conn


class StandInRay(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("ray")
        self.address: str | None = None
        self.calls: list[str] = []

    def is_initialized(self) -> bool:
        return self.address is not None

    def init(self, address: str, **_kw: object) -> None:
        self.calls.append(f"init {address}")
        self.address = address

    def shutdown(self) -> None:
        self.calls.append("shutdown")
        self.address = None


@pytest.fixture
def ray(monkeypatch: pytest.MonkeyPatch) -> StandInRay:
    fake = StandInRay()
    monkeypatch.setitem(sys.modules, "ray", fake)
    monkeypatch.setattr(conn, "_probe", lambda _address: None)
    monkeypatch.setattr(conn, "divert_ray_errors", lambda: None)
    monkeypatch.setattr(conn, "_state", {"ours": None, "users": 0})
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    return fake


def test_the_last_run_out_closes_the_connection_thtui_made(ray: StandInRay) -> None:
    conn.connect("10.0.0.1:6379")
    conn.hold()
    conn.hold()  # two runs on it
    conn.disconnect()  # e.g. the Run form's check after a Start: a run still uses it
    assert ray.is_initialized()
    conn.release()
    assert ray.is_initialized()
    conn.release()
    assert not ray.is_initialized() and ray.calls == ["init 10.0.0.1:6379", "shutdown"]


def test_another_address_is_a_new_connection_not_the_first_cluster(ray: StandInRay) -> None:
    conn.connect("10.0.0.1:6379")
    conn.connect("10.0.0.1:6379")  # the same: reused
    conn.connect("10.0.0.2:6379")
    assert ray.calls == ["init 10.0.0.1:6379", "shutdown", "init 10.0.0.2:6379"]
    conn.connect(None)  # no address asked for: the one in use
    assert ray.address == "10.0.0.2:6379"


def test_a_connection_thtui_did_not_make_is_left_alone(ray: StandInRay) -> None:
    ray.init(address="127.0.0.1:7000")  # a script's (or a test's) own ray.init
    assert conn.connect("127.0.0.1:7000") is ray
    conn.hold()
    conn.release()
    conn.disconnect()
    assert ray.is_initialized() and ray.calls == ["init 127.0.0.1:7000"]
