"""`thtui list` with the whole catalog (16 systems and counting) at 80 columns: one line per system, every
column in view (the licence cut with an ellipsis; --json has it whole), names never cut."""

from __future__ import annotations

import json

import pytest

from thtui.cli import main
from thtui.core.catalog import Catalog


@pytest.mark.parametrize("columns", [80, 160])
def test_one_line_per_system(settings, catalog: Catalog, monkeypatch, capsys, columns: int) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= columns
    header = next(line for line in lines if line.startswith("name"))
    assert header.split()[-4:] == ["comm.", "VRAM", "s/s", "disk"]
    rows = [line for line in lines if line.split() and line.split()[0] in catalog.names()]
    assert [r.split()[0] for r in rows] == catalog.names(), "every system once, on one line, name whole"
    static = next(r for r in rows if r.startswith("static "))
    assert static.split()[-3:-1] == ["GPU", "0.05"]  # "no GPU", then s per s of audio


def test_json_keeps_the_whole_licence_and_gpus(settings, catalog: Catalog, capsys) -> None:
    assert main(["list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["infinitetalk"]["license_weights"] == catalog.get("infinitetalk").solution.license.weights
    assert all(r["gpus"] == catalog.get(n).solution.infer.gpus for n, r in rows.items())
