"""A real local Ray cluster of several nodes on this machine, for the cluster tests and the benchmark.

Each node is a Ray node of ray.cluster_utils.Cluster (its own raylet and workers) whose processes get their
own environment: its THTUI_HOME (what is installed there), THTUI_GPU_BACKEND=fake (thtui's fake GPUs) and
a name. Its fake GPUs are Ray's `num_gpus`; the stand-in announces its fake VRAM in the node's own dir,
which that node's fake backend reads (THTUI_FAKE_GPU_DIR), so a node names the job holding its GPU. The head of the run is the test process (a Ray driver), with a
home where nothing is installed: the nodes run the jobs.

Stand-in variants (tests/fixtures/solutions/standin with infer.env): standin (0.3 s), standin_slow (long
enough to kill a node under it), standin_kids (children that never end, one escaping by setsid), ghost
(installed nowhere).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from stand_ins.installed import STANDIN, install_as_setup_leaves

from thtui.core.catalog import Catalog
from thtui.core.cluster.node_gpus import FAKE_GPU_DIR_ENV
from thtui.core.cluster.resources import NODE_NAME_ENV, node_resources
from thtui.core.config import Settings, load_settings

VARIANTS = {
    "standin": {},
    "standin_slow": {"STANDIN_DELAY": "3"},
    "standin_kids": {"STANDIN_MODE": "children", "STANDIN_DELAY": "0.2"},
    "standin_crash": {"STANDIN_MODE": "crash"},
    "standin_kids2": {"STANDIN_MODE": "children", "STANDIN_DELAY": "0.2"},  # its own clone: a killed job
    # leaves the stand-in's lock file behind (as SadTalker leaves its temp files), so each test that kills
    # jobs of a solution needs a solution of its own
    "standin_joined": {},  # only on the node that `thtui cluster join` starts for real
    # Long jobs that announce fake VRAM (on the node's fake GPU 0), for the live GPU view; one per
    # test that kills jobs of a solution (above)
    "standin_live": {"STANDIN_MODE": "vram", "STANDIN_DELAY": "60"},
    "standin_live2": {"STANDIN_MODE": "vram", "STANDIN_DELAY": "60"},
    "standin_live3": {"STANDIN_MODE": "vram", "STANDIN_DELAY": "60"},
    "ghost": {},
}
FAST = {
    "health_check_period_ms": 500,
    "health_check_failure_threshold": 4,
    "health_check_initial_delay_ms": 0,
}
STORE = 80 * 1024 * 1024  # the object store of each node: inputs and videos are small


def write_solutions(root: Path) -> Path:
    base = yaml.safe_load((STANDIN / "solution.yaml").read_text())
    for name, env in VARIANTS.items():
        data = {**base, "name": name, "title": f"Stand-in ({name})"}
        data["infer"] = {**base["infer"], "env": {**base["infer"].get("env", {}), **env}}
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "solution.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return root


@dataclass
class LabNode:
    name: str
    home: Path
    solutions: tuple[str, ...]
    handle: Any = field(repr=False)


@dataclass
class ClusterLab:
    root: Path
    cluster: Any
    solutions_dir: Path
    head: Settings
    catalog: Catalog
    pidfile: Path
    nodes: dict[str, LabNode] = field(default_factory=dict)
    delay: str = "0.3"  # the stand-in's "inference" seconds on every node

    @property
    def address(self) -> str:
        return self.cluster.address

    def env_of(self, name: str) -> dict[str, str]:
        home = self.root / "nodes" / name
        return {"THTUI_HOME": str(home / "home"), "THTUI_OUTPUTS": str(home / "outputs"),
                "THTUI_SOLUTIONS": str(self.solutions_dir), "THTUI_CONFIG": str(self.root / "none.yaml"),
                "THTUI_GPU_BACKEND": "fake", NODE_NAME_ENV: name, "STANDIN_PIDFILE": str(self.pidfile),
                "STANDIN_DELAY": self.delay, "THTUI_NO_SCORE": "1", "STANDIN_FAKE_GPU_DIR": str(home / "gpu"),
                FAKE_GPU_DIR_ENV: str(home / "gpu")}  # fmt: skip

    def add_node(self, name: str, solutions: tuple[str, ...], gpus: int = 1) -> LabNode:
        """Install `solutions` in the node's own home (as setup leaves them), then start it advertising
        exactly what `thtui cluster join` would advertise there."""
        env, resources = self.prepare_node(name, solutions)
        handle = self.cluster.add_node(num_cpus=1, num_gpus=gpus, resources=resources, env_vars=env,
                                       object_store_memory=STORE, node_name=name)  # fmt: skip
        node = LabNode(name, Path(env["THTUI_HOME"]), tuple(solutions), handle)
        self.nodes[name] = node
        return node

    def prepare_node(self, name: str, solutions: tuple[str, ...]) -> tuple[dict[str, str], dict[str, float]]:
        env = self.env_of(name)
        Path(env[FAKE_GPU_DIR_ENV]).mkdir(parents=True, exist_ok=True)
        settings = load_settings(environ={**os.environ, **env}, cwd=self.root)
        for s in solutions:
            install_as_setup_leaves(settings, self.catalog.get(s), STANDIN / "repo")
        return env, node_resources(settings, self.catalog)

    def kill_node(self, name: str) -> None:
        """The node dies as a machine would: Ray's processes SIGKILLed, no goodbye."""
        self.cluster.remove_node(self.nodes.pop(name).handle, allow_graceful=False)


def start_lab(root: Path, head_node: str, head_solutions: tuple[str, ...], delay: str = "0.3") -> ClusterLab:
    """A cluster whose Ray head is also the first node (`head_node`, with `head_solutions` installed):
    one raylet fewer to start on a loaded CI machine. The test process is the run's head (a driver)."""
    import ray
    from ray.cluster_utils import Cluster

    solutions = write_solutions(root / "solutions")
    env = {"THTUI_HOME": str(root / "head"), "THTUI_OUTPUTS": str(root / "outputs"),
           "THTUI_SOLUTIONS": str(solutions), "THTUI_CONFIG": str(root / "none.yaml")}  # fmt: skip
    head = load_settings(environ={**os.environ, **env}, cwd=root)
    lab = ClusterLab(
        root, None, solutions, head, Catalog.load(solutions), root / "children.pids", delay=delay
    )
    node_env, resources = lab.prepare_node(head_node, head_solutions)
    lab.cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "num_gpus": 1, "resources": resources,
                          "env_vars": node_env, "node_name": head_node, "include_dashboard": False,
                          "object_store_memory": STORE, "_system_config": FAST})  # fmt: skip
    lab.nodes[head_node] = LabNode(
        head_node, Path(node_env["THTUI_HOME"]), head_solutions, lab.cluster.head_node
    )
    ray.init(address=lab.cluster.address, namespace="thtui", logging_level="ERROR", log_to_driver=False)
    return lab


def stop_lab(lab: ClusterLab) -> None:
    import ray

    ray.shutdown()
    lab.cluster.shutdown()
    shutil.rmtree(lab.root / "nodes", ignore_errors=True)
