"""The light monitor (issue 10): a job's members are not looked up in the whole process table on every
sample; NVML's processes are walked up to the job instead, and membership is refreshed at a lower rate."""

from __future__ import annotations

import os
import sys
import time

import psutil
import pytest

import thtui.core.monitor.sampler as sampler
from thtui.core.jobs.proctree import ProcessTree
from thtui.core.monitor import FakeDevice, FakeGpuBackend, MiB, Monitor
from thtui.core.monitor import membership as ms
from thtui.core.monitor.membership import Membership, ancestor_in, read_stat

PY = sys.executable


class Counting:
    """A ProcessTree whose members() calls are counted (members() walks every process on the machine)."""

    def __init__(self, tree: ProcessTree):
        self.inner = tree
        self.pid = tree.pid
        self.marker = tree.marker
        self.calls = 0

    def members(self) -> list[psutil.Process]:
        self.calls += 1
        return self.inner.members()


def spawn(code: str, marker: str | None = None) -> ProcessTree:
    return ProcessTree.spawn([PY, "-c", code], cwd=os.getcwd(), env=dict(os.environ), marker=marker)


@pytest.fixture
def trees():
    made: list[ProcessTree] = []
    yield made
    for t in made:
        t.terminate(grace=1)
        for s in (t.popen.stdout, t.popen.stderr):
            s.close()
        t.forget()


def _pid_line(tree: ProcessTree) -> int:
    return int(tree.popen.stdout.readline())


# A parent that starts a child on request ("go" on a file appearing) and prints the child's pid.
LATE_CHILD = (
    "import subprocess, sys, time, os\n"
    "while not os.path.exists({flag!r}): time.sleep(0.02)\n"
    "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "print(c.pid, flush=True)\n"
    "time.sleep(60)\n"
)


def test_a_late_gpu_child_counts_at_once_without_walking_the_process_table(tmp_path, trees) -> None:
    flag = tmp_path / "go"
    tree = spawn(LATE_CHILD.format(flag=str(flag)))
    trees.append(tree)
    counted = Counting(tree)
    backend = FakeGpuBackend(devices=[FakeDevice(mem_base=100 * MiB)])
    m = Monitor(backend, rate_hz=10)
    m.watch("j", 0).attach(counted)
    m.sample_once()  # first sample: one full look at the tree
    assert counted.calls == 1
    flag.touch()
    child = _pid_line(tree)
    backend.set_process(child, 8192 * MiB)  # the grandchild takes 8 GiB between two samples
    other = spawn("import time; time.sleep(60)")  # someone else's process on the same GPU
    trees.append(other)
    backend.set_process(other.pid, 1000 * MiB)
    snaps = [m.sample_once() for _ in range(20)]
    # The old sampler asked members() on every sample: 21 walks of the whole process table.
    assert counted.calls == 1
    assert all(s.job("j").vram_bytes == 8192 * MiB for s in snaps)
    assert snaps[-1].job("j").attribution == "process"
    assert snaps[-1].job("j").n_procs == 2  # the child found through NVML counts for RSS/CPU too
    stats = m.unwatch("j")
    assert stats.vram_peak_job == 8192 * MiB


def test_descendants_refresh_through_the_kernels_children_lists(tmp_path, trees) -> None:
    flag = tmp_path / "go"
    tree = spawn(LATE_CHILD.format(flag=str(flag)))
    trees.append(tree)
    counted = Counting(tree)
    mem = Membership(counted)
    assert {p.pid for p in mem.members(0.0)} == {tree.pid} and counted.calls == 1
    flag.touch()
    child = _pid_line(tree)
    assert {p.pid for p in mem.members(0.5)} == {tree.pid}  # cached until the fast refresh is due
    assert {p.pid for p in mem.members(ms.FAST_REFRESH_S + 0.01)} == {tree.pid, child}
    assert counted.calls == 1 and mem.fast_refreshes == 1
    mem.members(ms.DEEP_REFRESH_S + 0.01)
    assert counted.calls == 2  # the deep refresh (session, marker) still happens, at its own rate


def test_a_double_forked_gpu_process_is_found_by_session_and_a_stranger_is_not(trees) -> None:
    code = (
        "import os, sys, time\n"
        "if os.fork() == 0:\n"
        "    if os.fork() == 0:\n"
        "        print(os.getpid(), flush=True); time.sleep(60)\n"
        "    os._exit(0)\n"
        "time.sleep(60)\n"
    )
    tree = spawn(code)
    trees.append(tree)
    daemon = _pid_line(tree)
    # Wait until the middle process has exited: then only the session ties the daemon to the job.
    deadline = time.monotonic() + 5
    while (parent := read_stat(read_stat(daemon).ppid)) is not None and parent.ppid == tree.pid:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    stranger = spawn("import time; time.sleep(60)")
    trees.append(stranger)
    mem = Membership(tree)
    mem.members(0.0)
    assert mem.owns(daemon)
    assert not mem.owns(stranger.pid)
    assert daemon in {p.pid for p in mem.members(0.1)}


def test_a_gpu_process_that_left_tree_and_session_is_found_by_its_marker(trees) -> None:
    code = (
        "import os, subprocess, sys, time\n"
        "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'], start_new_session=True)\n"
        "print(c.pid, flush=True); time.sleep(60)\n"
    )
    tree = spawn(code, marker="unit/membership")
    trees.append(tree)
    escaped = _pid_line(tree)

    class Root:  # the job's root and marker, but a members() that has not seen the escaped process
        pid, marker = tree.pid, tree.marker

        def members(self) -> list[psutil.Process]:
            return []

    tree.popen.kill()  # the root ends: the escaped process is reparented, in a session of its own
    tree.wait(5)
    deadline = time.monotonic() + 5
    while read_stat(escaped).ppid == tree.pid:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    mem = Membership(Root())
    mem.members(0.0)
    stranger = spawn("import time; time.sleep(60)")
    trees.append(stranger)
    assert mem.owns(escaped) and not mem.owns(stranger.pid)
    psutil.Process(escaped).kill()


def test_a_fixed_process_set_is_asked_once_per_refresh(trees) -> None:
    tree = spawn("import time; time.sleep(60)")
    trees.append(tree)

    class Fixed:  # no root pid: membership is exactly what members() says
        calls = 0

        def members(self) -> list[psutil.Process]:
            Fixed.calls += 1
            return [psutil.Process(tree.pid)]

    mem = Membership(Fixed())
    for i in range(10):
        assert [p.pid for p in mem.members(i * 0.05)] == [tree.pid]
    assert Fixed.calls == 1
    assert not mem.owns(os.getpid())
    mem.members(ms.FAST_REFRESH_S + 0.01)
    assert Fixed.calls == 2


def test_usage_reads_rss_and_cpu_like_psutil(trees) -> None:
    code = (
        "import time\n"
        "b = bytearray(80 * 2**20)\n"
        "print('ready', flush=True)\n"
        "end = time.time() + 60\n"
        "while time.time() < end: pass\n"
    )
    tree = spawn(code)
    trees.append(tree)
    assert tree.popen.stdout.readline().strip() == b"ready"
    mem = Membership(tree)
    mem.members(0.0)
    t0 = time.monotonic()
    _, cpu0, pids = mem.usage(t0)
    assert pids == {tree.pid} and cpu0 == 0.0  # no previous reading yet, as psutil's cpu_percent
    time.sleep(0.5)
    rss, cpu, _ = mem.usage(time.monotonic())
    want = psutil.Process(tree.pid).memory_info().rss
    assert abs(rss - want) <= 4 * 2**20 and rss >= 80 * 2**20
    assert 0.0 < cpu <= 100.0 * (os.cpu_count() or 1)  # a busy loop, measured over the half second


def test_ancestor_in_names_the_job_of_a_gpu_process(tmp_path, trees) -> None:
    flag = tmp_path / "go"
    flag.touch()
    tree = spawn(LATE_CHILD.format(flag=str(flag)))
    trees.append(tree)
    grandchild = _pid_line(tree)
    stranger = spawn("import time; time.sleep(60)")
    trees.append(stranger)
    roots = {tree.pid: ("run/job", "static"), 999_999_999: ("run/other", "x")}
    assert ancestor_in(grandchild, roots) == tree.pid
    assert ancestor_in(tree.pid, roots) == tree.pid
    assert ancestor_in(stranger.pid, roots) is None
    assert ancestor_in(4_000_000, roots) is None  # beyond pid_max: not a process here


def test_the_process_list_is_read_again_only_when_gpu_memory_changes(trees, monkeypatch) -> None:
    class Counting(FakeGpuBackend):
        reads = 0

        def read_processes(self):
            Counting.reads += 1
            return super().read_processes()

    tree = spawn("import time; time.sleep(60)")
    trees.append(tree)
    backend = Counting()
    backend.set_process(tree.pid, 1000 * MiB)
    m = Monitor(backend, rate_hz=10)
    m.watch("j", 0).attach(tree)
    for _ in range(10):
        assert m.sample_once().job("j").vram_bytes == 1000 * MiB
    assert Counting.reads == 1  # steady memory: the earlier list still holds (was: 10 reads)
    backend.set_process(tree.pid, 3000 * MiB)
    assert m.sample_once().job("j").vram_bytes == 3000 * MiB and Counting.reads == 2
    monkeypatch.setattr(sampler, "PROCESS_REFRESH_S", 0.0)
    m.sample_once()
    assert Counting.reads == 3  # and at least every PROCESS_REFRESH_S whatever the memory does
