"""Setup installs the manifest's lock file (the exact resolved set, --no-deps), `--no-lock` resolves
afresh, and verify records the installed set and says when it differs from the lock: through the real
engine, pip and the stand-in package index (no network)."""

from __future__ import annotations

from pathlib import Path

from setuplab import TINYDEP, SetupLab
from stand_ins.packages import write_wheel

from thtui.core.gpu_info import GpuReport
from thtui.core.setup import install
from thtui.core.setup.lockgen import lock_path, render_lock
from thtui.core.setup.record import Record

NO_GPU = GpuReport(None, None, (), "no GPU (test)")


def _serve_two_versions(lab: SetupLab) -> None:
    wheels = lab.tmp / "index"
    lab.server.add_simple_package(
        "tinydep",
        write_wheel(wheels, "tinydep", "1.0", TINYDEP),
        write_wheel(wheels, "tinydep", "2.0", TINYDEP),
    )


def test_the_lock_is_installed_and_no_lock_resolves_afresh(lab: SetupLab) -> None:
    _serve_two_versions(lab)
    loaded = lab.write(env__pip=["tinydep>=1.0"], env__conda=[])
    env = loaded.solution.env
    assert env is not None
    path = lock_path(loaded.path, "default")
    path.parent.mkdir()
    path.write_text(render_lock("tiny", "default", env, "tinydep==1.0\n", "test"))

    locked = install(lab.settings, loaded, gpu=NO_GPU)
    assert locked.ok, locked.error
    record = Record.load(lab.settings, "tiny")
    assert record.info("requirements")["lock"] == str(path)
    assert record.info("verify")["installed"]["tinydep"] == "1.0"  # the lock, not the newest (2.0)
    assert record.info("verify")["lock_differs"] == []

    fresh = install(lab.settings, loaded, gpu=NO_GPU, use_lock=False)
    assert fresh.ok and {"env", "requirements"} <= set(fresh.ran), fresh  # rebuilt, not resolved on top
    record = Record.load(lab.settings, "tiny")
    assert record.info("requirements")["lock"] is None
    assert record.info("verify")["installed"]["tinydep"] == "2.0"


def test_a_stale_lock_is_said_and_resolved_afresh_and_drift_is_reported(lab: SetupLab) -> None:
    _serve_two_versions(lab)
    loaded = lab.write(env__pip=["tinydep>=1.0"], env__conda=[])
    path = lock_path(loaded.path, "default")
    path.parent.mkdir()
    old_env = loaded.solution.env.model_copy(update={"pip": ["tinydep==1.0"]})  # type: ignore[union-attr]
    path.write_text(render_lock("tiny", "default", old_env, "tinydep==1.0\n", "test"))
    result = install(lab.settings, loaded, gpu=NO_GPU)
    assert result.ok, result.error
    log = Path(result.log_path or "").read_text()
    assert "resolving afresh:" in log and "is stale against the manifest" in log
    record = Record.load(lab.settings, "tiny")
    assert record.info("verify")["installed"]["tinydep"] == "2.0"
    assert record.info("verify")["lock_differs"] is None  # no lock was used: nothing to compare
