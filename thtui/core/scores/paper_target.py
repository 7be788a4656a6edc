"""The evaluator as a setup target: `solutions/evaluator/evaluator.yaml` (a tool env, like Coqui TTS: an
env and pinned weights, no upstream repository, no inference template), installed by the same step
engine as every solution (`thtui setup evaluator`). It is not a solution.yaml on purpose: the catalog
never lists it, so it cannot be picked as a system to run.

    evaluator_target(settings) -> SetupTarget      what setup installs (raises EvaluatorManifestError)
    evaluator_env(settings) -> EvaluatorEnv        where it lives and whether it can be used now
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from thtui.core.config import Settings
from thtui.core.install_status import InstallStatus, target_status
from thtui.core.setup.coqui import ToolEnvManifest
from thtui.core.setup.target import SetupTarget
from thtui.evaluator.fvd import FILE as I3D_FILE  # fvd.py's top imports the standard library only

EVALUATOR = "evaluator"
MANIFEST_NAME = "evaluator.yaml"


class EvaluatorManifest(ToolEnvManifest):
    licenses: dict[str, str] = Field(default_factory=dict, description="what each part may be used for")


class EvaluatorManifestError(ValueError):
    pass


def manifest_path(settings: Settings) -> Path:
    return settings.solutions_dir / EVALUATOR / MANIFEST_NAME


def load_evaluator_manifest(path: Path) -> EvaluatorManifest:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvaluatorManifestError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise EvaluatorManifestError(f"{path}: not valid YAML: {exc}") from None
    try:
        model = EvaluatorManifest.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise EvaluatorManifestError(f"{path}: invalid evaluator manifest: {where}") from None
    if model.name != EVALUATOR:
        raise EvaluatorManifestError(f"{path}: name must be {EVALUATOR!r}, not {model.name!r}")
    return model


def evaluator_target(settings: Settings) -> SetupTarget:
    path = manifest_path(settings)
    model = load_evaluator_manifest(path)
    blob = json.dumps(model.model_dump(mode="json"), sort_keys=True).encode()
    return SetupTarget(
        name=EVALUATOR,
        env=model.env,
        weights=tuple(model.weights),
        manifest=path,
        digest=hashlib.sha256(blob).hexdigest()[:16],
    )


@dataclass(frozen=True)
class EvaluatorEnv:
    python: Path
    weights: Path  # the folder the weights are linked into
    ready: bool
    status: InstallStatus
    # "SIZE:SHA256" of the FVD network as the manifest pins it: the evaluator loads that TorchScript file
    # (code as well as weights) only when its bytes still match (thtui/evaluator/fvd.py)
    i3d_pin: str | None = None

    @property
    def hint(self) -> str:
        return "" if self.ready else f"the evaluator is {self.status.state}: run `thtui setup {EVALUATOR}`"


def evaluator_env(settings: Settings) -> EvaluatorEnv:
    """Cheap (reads one JSON record): safe to call after every job."""
    from thtui.core.envs import env_python
    from thtui.core.plan import env_prefix, repo_dir

    python = env_python(env_prefix(settings, EVALUATOR))
    weights = repo_dir(settings, EVALUATOR) / "weights"
    try:
        target = evaluator_target(settings)
        status = target_status(settings, target)
    except EvaluatorManifestError as exc:
        return EvaluatorEnv(python, weights, False, InstallStatus("broken", str(exc)))
    ready = status.state in ("ready", "outdated") and python.exists()
    pins = [
        f"{w.size}:{w.sha256}"
        for w in target.weights
        if Path(w.dest).name == I3D_FILE and w.size and w.sha256
    ]
    return EvaluatorEnv(python, weights, ready, status, pins[0] if pins else None)
