"""What every setup step gets (StepContext) and what it returns (Outcome); the Step descriptor."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thtui.core.config import Settings
from thtui.core.envs import env_environ, env_python, pick_installer
from thtui.core.gpu_info import GpuReport
from thtui.core.plan import env_prefix, repo_dir
from thtui.core.setup.record import Record
from thtui.core.setup.session import Session
from thtui.core.setup.target import SetupTarget


@dataclass
class StepContext:
    session: Session
    settings: Settings
    target: SetupTarget
    record: Record
    probe_gpu: Callable[[], GpuReport]
    rehash: bool = False  # verify: hash weights again even when the checksum cache says they are fine
    use_lock: bool = (
        True  # requirements: install the manifest's lock file when it is fresh (--no-lock: False)
    )

    @property
    def repo(self) -> Path:
        return repo_dir(self.settings, self.target.name)

    @property
    def prefix(self) -> Path:
        return env_prefix(self.settings, self.target.name)

    @property
    def python(self) -> Path:
        return env_python(self.prefix)

    @functools.cached_property
    def gpu(self) -> GpuReport:
        return self.probe_gpu()

    @functools.cached_property
    def installer(self) -> tuple[str, str | None]:
        env = self.record.info("env")
        if env.get("manager") == "uv" and env.get("exe"):
            return "uv", str(env["exe"])  # a uv venv has no pip of its own
        return pick_installer()

    def install_environ(self) -> dict[str, str]:
        """The env's environment plus one shared download cache for every env (uv or pip)."""
        caches = {}
        if not os.environ.get("UV_CACHE_DIR"):
            caches["UV_CACHE_DIR"] = str(self.settings.cache_dir / "uv")
        if not os.environ.get("PIP_CACHE_DIR"):
            caches["PIP_CACHE_DIR"] = str(self.settings.cache_dir / "pip")
        return env_environ(self.prefix, **caches)

    def log(self, text: str, step: str) -> None:
        self.session.log(step, text)


@dataclass(frozen=True)
class Outcome:
    detail: str = ""
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    name: str
    title: Callable[[SetupTarget], str]
    run: Callable[[StepContext], Outcome]
    # None when the step applies to this target, else why it is skipped (e.g. "no upstream repository").
    applies: Callable[[SetupTarget], str | None] = lambda t: None
    # Cheap re-check of a recorded step (no network, no hashing): None when still intact, else why not.
    intact: Callable[[StepContext, dict[str, Any]], str | None] = lambda ctx, info: None
