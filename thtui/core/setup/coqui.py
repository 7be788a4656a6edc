"""Coqui TTS as a solution-like env named `coqui-tts`, so the TTS stage can run
`<env>/bin/python -c/-m ...` there. Installed with `install(settings, coqui_target(settings))`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml
from pydantic import Field

from thtui.core.catalog.schema import Env, Strict, Weight
from thtui.core.config import Settings
from thtui.core.envs import env_environ, env_python
from thtui.core.install_status import InstallStatus, target_status
from thtui.core.plan import env_prefix
from thtui.core.setup.target import SetupTarget

COQUI = "coqui-tts"


class ToolEnvManifest(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str
    summary: str
    env: Env
    weights: list[Weight] = Field(default_factory=list)


def _manifest_file() -> Path:
    return Path(str(resources.files("thtui.core.setup") / "coqui_env.yaml"))


def coqui_target() -> SetupTarget:
    path = _manifest_file()
    model = ToolEnvManifest.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    digest = hashlib.sha256(json.dumps(model.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[
        :16
    ]
    return SetupTarget(
        name=model.name, env=model.env, weights=tuple(model.weights), manifest=path, digest=digest
    )


@dataclass(frozen=True)
class CoquiEnv:
    """Where Coqui lives and whether it can be used. `environ` is the full environment to run it with:
    the env's bin first on PATH, and TTS_HOME in the shared weight store (models download there once)."""

    python: Path
    prefix: Path
    ready: bool
    status: InstallStatus
    tts_home: Path
    environ: dict[str, str] = field(repr=False, default_factory=dict)

    @property
    def hint(self) -> str:
        return "" if self.ready else f"Coqui TTS is {self.status.state}; run `thtui setup {COQUI}`"


def coqui_env(settings: Settings) -> CoquiEnv:
    prefix = env_prefix(settings, COQUI)
    status = target_status(settings, coqui_target())
    tts_home = settings.weights_dir / COQUI
    python = env_python(prefix)
    ready = status.state in ("ready", "outdated") and python.exists()
    return CoquiEnv(python, prefix, ready, status, tts_home, env_environ(prefix, TTS_HOME=str(tts_home)))
