"""Step `verify`, run inside the env: the manifest's imports work, torch sees the GPU and was built for
its architecture (skipped with a note when there is no GPU), and every weight matches its checksum."""

from __future__ import annotations

import json
from pathlib import Path

from thtui.core.downloads import check_file
from thtui.core.setup.context import Outcome, Step, StepContext
from thtui.core.setup.dist_owners import installed as installed_dists
from thtui.core.setup.dist_owners import shared_packages
from thtui.core.setup.lockgen import lock_differences, normalize, read_lock
from thtui.core.setup.session import StepFailure
from thtui.core.setup.steps_weights import expect_of
from thtui.core.setup.torch_select import arch_supported, min_cuda_for
from thtui.core.wording import plural

# Runs in the env's interpreter (any Python >= 3.8): stdlib only, one JSON line at the end.
PROBE = r"""
import importlib, json, sys, sysconfig
spec = json.loads(sys.argv[1])
out = {"python": sys.version.split()[0], "imports": {},
       "site": [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]}
def why(exc):
    return ((type(exc).__name__ + ": " + str(exc)).splitlines() or [""])[0]
for name in spec["imports"]:
    try:
        importlib.import_module(name)
        out["imports"][name] = None
    except BaseException as exc:
        out["imports"][name] = why(exc)
if spec["torch"]:
    try:
        import torch
        ok = bool(torch.cuda.is_available())
        out["torch"] = {"version": str(torch.__version__), "cuda": getattr(torch.version, "cuda", None),
                        "available": ok, "arch_list": list(torch.cuda.get_arch_list()) if ok else []}
    except BaseException as exc:
        out["torch"] = {"error": why(exc)}
print("THTUI_VERIFY " + json.dumps(out), flush=True)
"""
MARK = "THTUI_VERIFY "


def _probe(ctx: StepContext) -> dict:
    env = ctx.target.env
    if not ctx.python.exists():
        raise StepFailure(f"{ctx.python} is missing", f"run `thtui setup {ctx.target.name}`")
    spec = {"imports": list(env.verify_imports), "torch": bool(env.torch)}
    lines = ctx.session.run(
        "verify",
        [ctx.python, "-c", PROBE, json.dumps(spec)],
        cwd=ctx.repo if ctx.repo.is_dir() else None,  # repo-local packages import as upstream's scripts do
        env=ctx.install_environ(),
    )
    for line in reversed(lines):
        if line.startswith(MARK):
            return json.loads(line[len(MARK) :])
    raise StepFailure("the verify probe printed no result")


def _check_torch(ctx: StepContext, result: dict) -> str:
    t = result.get("torch") or {}
    if "error" in t:
        raise StepFailure(f"import torch failed: {t['error']}")
    gpu = ctx.gpu
    if not gpu.gpus:
        ctx.session.note("verify", f"no NVIDIA GPU ({gpu.error or 'none found'}): CUDA check skipped")
        return f"torch {t.get('version')} (no GPU to check)"
    if not t.get("available"):
        raise StepFailure(
            f"torch {t.get('version')} (CUDA {t.get('cuda')}) cannot use the GPU: torch.cuda.is_available() "
            f"is False with driver {gpu.driver}",
            "a CPU-only torch got installed, or the driver is too old for this CUDA build; see the log",
        )
    for g in gpu.gpus:
        if not arch_supported(t.get("arch_list") or [], g.compute_capability):
            need = min_cuda_for(g.compute_capability)
            raise StepFailure(
                f"torch {t.get('version')} has no kernels for {g.name} ({g.sm}); it was built for "
                f"{' '.join(t.get('arch_list') or []) or 'nothing'}",
                f"add a torch profile with CUDA >= {need[0]}.{need[1]} to the manifest",
            )
    return f"torch {t.get('version')} runs on {', '.join(sorted({g.sm for g in gpu.gpus}))}"


def _check_weights(ctx: StepContext) -> int:
    files = ctx.record.info("weights").get("files", [])
    for item in files:
        ctx.session.check_cancel()
        link = Path(item["link"])
        if not link.exists():
            raise StepFailure(f"weight missing: {link}", f"run `thtui setup {ctx.target.name}`")
        problem = check_file(Path(item["store"]), expect_of(item), use_cache=not ctx.rehash)
        if problem:
            raise StepFailure(
                f"weight {link.name}: {problem}", f"delete it and run `thtui setup {ctx.target.name}`"
            )
    return len(files)


def _lock_check(ctx: StepContext, installed: dict[str, str]) -> list[str] | None:
    """What differs between the env and the lock it was installed from (None: no lock was used)."""
    path = ctx.record.info("requirements").get("lock")
    lock = read_lock(Path(path)) if path else None
    if lock is None:
        return None
    differs = lock_differences(lock, installed)
    if differs:
        shown = ", ".join(differs[:5]) + (f" and {len(differs) - 5} more" if len(differs) > 5 else "")
        ctx.session.note("verify", f"the env differs from {lock.path.name}: {shown}")
    return differs


def run_verify(ctx: StepContext) -> Outcome:
    result = _probe(ctx)
    bad = {name: err for name, err in result.get("imports", {}).items() if err}
    if bad:
        name, err = next(iter(bad.items()))
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise StepFailure(
            f"import {name} failed: {err}{more}", "a requirement is missing or broken; see the log"
        )
    dists = installed_dists([Path(p) for p in result.get("site") or []])
    shared = shared_packages(dists)
    if shared:
        more = f" (and {len(shared) - 1} more)" if len(shared) > 1 else ""
        raise StepFailure(
            f"{shared[0].message()}{more}: whichever installed last owns its files",
            "pin one of them in the manifest (e.g. opencv-python-headless only) and run setup again",
        )
    parts = [f"python {result.get('python')}", f"{plural(len(result.get('imports', {})), 'import')} ok"]
    if ctx.target.env.torch:
        parts.append(_check_torch(ctx, result))
    parts.append(f"{plural(_check_weights(ctx), 'weight')} verified")
    installed = {normalize(d.name): d.version for d in dists}  # what verify saw, kept in the record
    differs = _lock_check(ctx, installed)
    if differs:
        parts.append(f"{plural(len(differs), 'package')} differ from the lock")
    info = {
        "python": result.get("python"),
        "torch": result.get("torch"),
        "installed": installed,
        "lock_differs": differs,
    }
    return Outcome(", ".join(parts), info)


VERIFY = Step("verify", lambda t: "verify imports, GPU and weights inside the env", run_verify)
