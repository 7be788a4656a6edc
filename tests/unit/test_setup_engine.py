"""Engine pieces without processes: step dependencies and fingerprints, first error lines, the progress
meter, patch idempotency, status derived from the record, and the Coqui TTS env definition."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from thtui.core.catalog.schema import Env, Patch, Upstream
from thtui.core.setup import STEPS, SetupTarget, coqui_env, coqui_target, target_status
from thtui.core.setup.session import ProgressMeter, StepFailure, first_error_line
from thtui.core.setup.steps_source import _applied
from thtui.core.setup.target import dependents

UP = Upstream(repo="https://example.invalid/x.git", commit="a" * 40, entry="run.py")


def target(**kw) -> SetupTarget:  # type: ignore[no-untyped-def]
    base = {"name": "x", "env": Env(python="3.10", pip=["numpy"]), "upstream": UP}
    return SetupTarget(**{**base, **kw})


def test_rerunning_a_step_invalidates_what_builds_on_it() -> None:
    assert dependents("env") == ["torch", "requirements", "patch-site", "verify"]
    assert dependents("clone") == ["patch-repo", "weights", "verify"]
    assert dependents("weights") == ["verify"]
    assert dependents("verify") == []


def test_fingerprints_change_only_for_the_parts_a_step_reads() -> None:
    a = target().fingerprints()
    assert set(a) == set(STEPS)
    b = target(env=Env(python="3.10", pip=["numpy", "scipy"])).fingerprints()
    assert [s for s in STEPS if a[s] != b[s]] == ["requirements", "patch-site", "verify"]
    c = target(upstream=UP.model_copy(update={"commit": "b" * 40})).fingerprints()
    assert [s for s in STEPS if a[s] != c[s]] == ["clone", "patch-repo", "weights", "verify"]
    d = target(env=Env(python="3.11", pip=["numpy"])).fingerprints()
    assert [s for s in STEPS if a[s] != d[s]] == ["env", "torch", "requirements", "patch-site", "verify"]


@pytest.mark.parametrize(
    ("lines", "first"),
    [
        (["Collecting x", "ERROR: Could not find a version that satisfies x", "ERROR: No matching"], "ERROR: Could not find a version that satisfies x"),
        (["Cloning into 'x'...", "fatal: couldn't find remote ref abc"], "fatal: couldn't find remote ref abc"),
        (["Traceback (most recent call last):", '  File "x.py", line 1', "ModuleNotFoundError: No module named 'y'"], "ModuleNotFoundError: No module named 'y'"),
        (["Solving environment: failed", "", "PackagesNotFoundError: The following packages are not available"], "PackagesNotFoundError: The following packages are not available"),
        (["all good", "then it died"], "then it died"),
        ([], None),
    ],
)  # fmt: skip
def test_first_error_line(lines: list[str], first: str | None) -> None:
    assert first_error_line(lines) == first


def test_progress_meter_reports_speed_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr("thtui.core.setup.session.time.monotonic", lambda: now[0])
    out: list[tuple] = []
    meter = ProgressMeter(lambda *a: out.append(a))
    meter(0, 1000)
    now[0] += 1.0
    meter(250, 1000)
    now[0] += 0.01
    meter(260, 1000)  # rate-limited: not emitted
    now[0] += 1.0
    meter(1000, 1000)  # the end is always emitted
    assert [o[0] for o in out] == [0, 250, 1000]
    done, total, speed, eta = out[1]
    assert speed == pytest.approx(250.0) and eta == pytest.approx(3.0)
    assert out[-1][3] == 0.0


def test_patch_is_applied_once() -> None:
    p = Patch(id="p", path="a.py", find="np.float(", replace="float(", reason="r")
    assert not _applied(p, "x = np.float(1)")
    assert _applied(p, "x = float(1)")
    grow = Patch(id="g", path="a.py", find="import os", replace="import os\nimport sys", reason="r")
    assert not _applied(grow, "import os\n") and _applied(grow, "import os\nimport sys\n")


def write_record(settings, name: str, **data) -> None:  # type: ignore[no-untyped-def]
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    (settings.state_dir / f"{name}.json").write_text(json.dumps(data))


def test_status_is_derived_from_the_record(settings) -> None:
    t = target()
    fps = t.fingerprints()
    assert target_status(settings, t).state == "not installed"
    steps = {s: {"fingerprint": fps[s], "info": {}} for s in STEPS[:3]}
    write_record(settings, "x", steps=steps, complete=False, log="/l.log")
    st = target_status(settings, t)
    assert (st.state, st.step, st.detail) == ("partial", "torch", "3/8 steps done; next: torch")
    write_record(
        settings, "x", steps=steps, failed={"step": "torch", "error": "ERROR: boom", "log": "/l.log"}
    )
    st = target_status(settings, t)
    assert (st.state, st.step, st.detail, st.log) == ("broken", "torch", "ERROR: boom", "/l.log")
    all_steps = {s: {"fingerprint": fps[s], "info": {}} for s in STEPS}
    write_record(settings, "x", steps=all_steps, complete=True)
    st = target_status(settings, t)
    assert (st.state, st.step) == ("broken", "env") and "is gone" in st.detail  # the env dir was deleted
    (settings.envs_dir / "x" / "bin").mkdir(parents=True)
    (settings.envs_dir / "x" / "bin" / "python").touch()
    assert target_status(settings, t).state == "ready"
    changed = target(env=Env(python="3.10", pip=["numpy", "scipy"]))
    st = target_status(settings, changed)
    assert st.state == "outdated" and st.detail.endswith("requirements, patch-site, verify")
    (settings.state_dir / "x.json").write_text("{not json")
    assert target_status(settings, t).state == "broken"


def test_step_failure_carries_a_hint() -> None:
    exc = StepFailure("git is not installed", "apt install git")
    assert (exc.error, exc.hint, str(exc)) == (
        "git is not installed",
        "apt install git",
        "git is not installed",
    )


def test_coqui_env_is_the_maintained_fork_with_torch_profiles(settings) -> None:
    t = coqui_target()
    assert t.name == "coqui-tts" and t.upstream is None
    assert any(p.startswith("coqui-tts==") for p in t.env.pip) and not any(
        p.startswith("TTS") for p in t.env.pip
    )
    assert t.env.torch_default == "cpu" and {"cu121", "cu124", "cu128"} <= set(t.env.torch)
    assert t.env.verify_imports == ["TTS.api"]
    info = coqui_env(settings)
    assert info.python == settings.envs_dir / "coqui-tts" / "bin" / "python"
    assert not info.ready and "thtui setup coqui-tts" in info.hint
    assert info.environ["TTS_HOME"] == str(settings.weights_dir / "coqui-tts")
    assert info.environ["PATH"].startswith(str(settings.envs_dir / "coqui-tts" / "bin"))
    assert Path(t.manifest or "").name == "coqui_env.yaml"


def test_cli_resolves_coqui_and_refuses_unknown_names(settings) -> None:
    from thtui.cli.common import CliError
    from thtui.cli.setup_cmds import _targets, human_bytes

    assert [t.name for t in _targets(settings, ["coqui-tts"], False)] == ["coqui-tts"]
    with pytest.raises(CliError, match="unknown solution 'nope'; known: .*coqui-tts"):
        _targets(settings, ["nope"], False)
    assert (human_bytes(999), human_bytes(1_500_000), human_bytes(3.2e9)) == ("999 B", "1.5 MB", "3.2 GB")
