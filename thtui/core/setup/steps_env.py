"""Steps `env` (conda-forge prefix env), `torch` (the CUDA build for this machine) and `requirements`."""

from __future__ import annotations

import os
import shlex
import shutil

from thtui.core import tools
from thtui.core.envs import NoEnvManager, installer_argv, require_env_manager
from thtui.core.envs.backend import UV_SERVES
from thtui.core.setup.context import Outcome, Step, StepContext
from thtui.core.setup.lockgen import NO_TORCH, Lock, fresh_lock
from thtui.core.setup.session import StepFailure
from thtui.core.setup.torch_select import NoTorchProfile, constraints_text, select_profile, torch_install_argv
from thtui.core.wording import plural

CONSTRAINTS = "thtui-constraints.txt"  # inside the env prefix


def run_env(ctx: StepContext) -> Outcome:
    try:
        mgr = require_env_manager(ctx.settings)
    except NoEnvManager as exc:
        raise StepFailure(str(exc), "run `thtui bootstrap`") from None
    prefix, env = ctx.prefix, ctx.target.env
    unserved = [p for p in env.conda if mgr.is_uv and _conda_name(p) not in UV_SERVES]
    if unserved:
        raise StepFailure(
            f"the uv backend cannot install the conda-forge package(s) {', '.join(unserved)}",
            "use a conda backend: --env-backend conda (or mamba/micromamba), or `thtui bootstrap`",
        )
    if prefix.exists():
        # Unfinished (killed) or built for another manifest: a conda env is not safely updatable in place.
        ctx.session.log("env", f"removing the previous env at {prefix}")
        shutil.rmtree(prefix)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    argv = mgr.create_argv(prefix, env.python, list(env.conda))
    ctx.session.run("env", argv, env={**os.environ, **mgr.environ(ctx.settings)})
    if not ctx.python.exists():
        raise StepFailure(f"{mgr.kind} create finished but {ctx.python} does not exist")
    served = _serve_conda_packages(ctx, env.conda) if mgr.is_uv else []
    version = ctx.session.run("env", [ctx.python, "--version"], env=ctx.install_environ(), quiet=True)[-1]
    info = {"manager": mgr.kind, "exe": mgr.exe, "python": version, "served": served}
    return Outcome(f"{version} at {prefix} ({mgr.kind})", info)


def _conda_name(spec: str) -> str:
    """'ffmpeg', 'ffmpeg=6', 'conda-forge::ffmpeg>=6' -> 'ffmpeg'."""
    name = spec.split("::")[-1]
    for sep in "=<>! ":
        name = name.split(sep)[0]
    return name.strip().lower()


def _serve_conda_packages(ctx: StepContext, packages: list[str]) -> list[str]:
    """uv backend: put thtui's own ffmpeg in the env's bin/, where upstream scripts' `ffmpeg` calls look
    first (the env's bin/ leads PATH inside the env)."""
    served = []
    for spec in packages:
        if _conda_name(spec) != "ffmpeg":
            continue
        tool = tools.ffmpeg()
        if not tool.found:
            raise StepFailure(
                "no ffmpeg for the env: thtui's bundled ffmpeg is missing", "pip install imageio-ffmpeg"
            )
        link = ctx.prefix / "bin" / "ffmpeg"
        link.unlink(missing_ok=True)
        link.symlink_to(tool.path)
        ctx.session.log("env", f"{spec}: served by {tool.path} ({tool.origin})")
        served.append(spec)
    return served


def env_intact(ctx: StepContext, info: dict) -> str | None:
    return None if ctx.python.exists() else f"{ctx.python} is missing"


def run_torch(ctx: StepContext) -> Outcome:
    try:
        choice = select_profile(ctx.target.env, ctx.gpu)
    except NoTorchProfile as exc:
        raise StepFailure(str(exc), "see `thtui doctor`") from None
    ctx.session.note("torch", choice.reason)
    inst, uv = ctx.installer
    argv = torch_install_argv(inst, ctx.python, choice.profile, uv=uv)  # type: ignore[arg-type]
    ctx.session.run("torch", argv, env=ctx.install_environ())
    (ctx.prefix / CONSTRAINTS).write_text(constraints_text(choice.profile))
    p = choice.profile
    return Outcome(
        f"torch {p.torch} ({choice.name}, CUDA {p.cuda})",
        {"profile": choice.name, "torch": p.torch, "cuda": p.cuda, "index_url": p.index_url},
    )


def _requirement_args(entries: list[str], ctx: StepContext) -> list[str]:
    """Manifest pip entries are requirement strings; `-r FILE` / `-e DIR` take an argument, and `{repo}`
    stands for the clone, so `-r {repo}/requirements.txt` works."""
    out: list[str] = []
    for entry in entries:
        text = entry.replace("{repo}", str(ctx.repo))
        out += shlex.split(text) if text.startswith("-") else [text]
    return out


def run_requirements(ctx: StepContext) -> Outcome:
    env, inst, uv = ctx.target.env, *ctx.installer
    constraints = ctx.prefix / CONSTRAINTS
    common = {
        "uv": uv,
        "extra_index_urls": list(env.pip_extra_index),
        "constraints": constraints if constraints.exists() else None,
    }
    cwd = ctx.repo if ctx.repo.is_dir() else None  # relative `-r requirements.txt` means the clone's
    environ = ctx.install_environ()
    lock, why = _lock_for(ctx)
    if env.pip and lock is not None:
        # The whole resolved set, exactly: --no-deps so nothing is re-resolved against today's PyPI.
        args = ["-r", str(lock.path)]
        argv = installer_argv(inst, ctx.python, args, no_deps=True, **common)  # type: ignore[arg-type]
        ctx.session.run("requirements", argv, cwd=cwd, env=environ)
    elif env.pip:
        if why:
            ctx.session.note("requirements", f"resolving afresh: {why}")
        argv = installer_argv(inst, ctx.python, _requirement_args(env.pip, ctx), **common)  # type: ignore[arg-type]
        ctx.session.run("requirements", argv, cwd=cwd, env=environ)
    if env.pip_no_deps:
        argv = installer_argv(
            inst, ctx.python, _requirement_args(env.pip_no_deps, ctx), no_deps=True, **common
        )  # type: ignore[arg-type]
        ctx.session.run("requirements", argv, cwd=cwd, env=environ)
    n = len(env.pip) + len(env.pip_no_deps)
    info = {
        "installer": inst,
        "lock": str(lock.path) if lock else None,
        "lock_hash": lock.hash if lock else None,
    }
    via = f"lock {lock.path.name} ({plural(len(lock.pins), 'pin')})" if lock else "a fresh resolve"
    return Outcome(f"{plural(n, 'requirement')} via {inst}, {via if env.pip else 'no lock needed'}", info)


def _env_intact_for_lock_choice(ctx: StepContext, info: dict) -> str | None:
    """An env installed from the lock is rebuilt for --no-lock: a resolve on top of the locked set would
    keep every locked version that still satisfies, which is not a fresh resolve."""
    if ctx.record.info("requirements").get("lock") and not ctx.use_lock:
        return "it was installed from the lock; --no-lock rebuilds it and resolves afresh"
    return env_intact(ctx, info)


def _lock_for(ctx: StepContext) -> tuple[Lock | None, str]:
    if not ctx.use_lock:
        return None, "--no-lock"
    profile = ctx.record.info("torch").get("profile") if ctx.target.env.torch else NO_TORCH
    if profile is None:
        return None, "no torch profile recorded"
    return fresh_lock(ctx.target.manifest, ctx.target.env, profile)


ENV = Step(
    "env",
    lambda t: (
        f"create env (python {t.env.python}"
        + (f", conda-forge: {' '.join(t.env.conda)})" if t.env.conda else ")")
    ),
    run_env,
    intact=_env_intact_for_lock_choice,
)
TORCH = Step(
    "torch",
    lambda t: "install torch for this GPU and driver",
    run_torch,
    applies=lambda t: None if t.env.torch else "the manifest pins no torch",
    intact=env_intact,
)
REQUIREMENTS = Step(
    "requirements",
    lambda t: f"install {plural(len(t.env.pip) + len(t.env.pip_no_deps), 'requirement')}",
    run_requirements,
    applies=lambda t: None if (t.env.pip or t.env.pip_no_deps) else "no pip requirements",
    intact=env_intact,
)
