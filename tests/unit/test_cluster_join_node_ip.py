"""`thtui cluster join --node-ip`: a loopback address is refused before Ray starts (Ray silently replaces it
with the machine's outward address and listens on every interface anyway)."""

from __future__ import annotations

import pytest

from thtui.cli import main


@pytest.mark.parametrize("ip", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_a_loopback_node_ip_is_refused_in_one_line(ip: str, settings, capsys) -> None:
    assert main(["cluster", "join", "--head", "--node-ip", ip, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "is a loopback address" in err and "ip -4 addr" in err and "Traceback" not in err


def test_a_private_node_ip_is_passed_to_ray(settings, capsys) -> None:
    assert main(["cluster", "join", "--head", "--node-ip", "10.0.0.2", "--num-gpus", "0", "--dry-run"]) == 0
    assert "--node-ip-address 10.0.0.2" in capsys.readouterr().out
