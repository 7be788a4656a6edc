"""What a node advertises and what a job asks Ray for (no cluster needed)."""

from __future__ import annotations

import pytest
import yaml
from clusterlab import write_solutions

from thtui.core.catalog import Catalog
from thtui.core.cluster.resources import (
    MANY,
    gpus_needed,
    join_argv,
    resource_name,
    solutions_in,
    task_options,
)


@pytest.fixture
def catalog(tmp_path):
    root = write_solutions(tmp_path / "solutions")
    data = yaml.safe_load((root / "standin" / "solution.yaml").read_text())
    data["name"], data["infer"]["gpus"], data["infer"]["exclusive_cwd"] = "wide", 2, False
    data["infer"]["argv"] = [*data["infer"]["argv"], "--ranks", "{gpus}"]  # a multi-GPU manifest names {gpus}
    (root / "wide").mkdir()
    (root / "wide" / "solution.yaml").write_text(yaml.safe_dump(data))
    return Catalog.load(root)


def test_a_job_asks_for_its_gpus_and_its_solution(catalog: Catalog) -> None:
    assert task_options(catalog.get("standin")) == {
        "num_gpus": 1,
        "num_cpus": 0,
        "resources": {"thtui_sol_standin": 1.0},
    }
    assert gpus_needed(catalog.get("wide")) == 2 and task_options(catalog.get("wide"))["num_gpus"] == 2


def test_names_round_trip_and_join_is_an_argv(catalog: Catalog) -> None:
    resources = {resource_name("standin"): 1.0, resource_name("wide"): MANY, "GPU": 2.0, "CPU": 8.0}
    assert solutions_in(resources, catalog.names()) == ["standin", "wide"]
    argv = join_argv("ray", "10.0.0.1:6379", {"thtui_sol_a b": 1.0}, num_gpus=2, node_ip="10.0.0.2")
    assert argv[:4] == ["ray", "start", "--address", "10.0.0.1:6379"]
    assert argv[argv.index("--resources") + 1] == '{"thtui_sol_a b": 1.0}'  # one argument, no shell
    head = join_argv("ray", None, {}, head_port=6380)
    assert head[2:7] == ["--head", "--port", "6380", "--dashboard-host", "127.0.0.1"]
