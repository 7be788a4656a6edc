"""What the setup engine installs: a solution manifest, or a tool env such as Coqui TTS, reduced to the
parts setup needs, plus one fingerprint per step.

A step's fingerprint hashes the manifest parts it reads and the fingerprints of the steps it builds on,
so editing the weights list reruns `weights` and `verify` only, while a new python version rebuilds the
env and everything installed into it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from thtui.core.catalog.loader import LoadedSolution
from thtui.core.catalog.schema import Env, Patch, Upstream, Weight

STEPS: tuple[str, ...] = (
    "clone",
    "patch-repo",
    "env",
    "torch",
    "requirements",
    "patch-site",
    "weights",
    "verify",
)
# Direct prerequisites. Rerunning a step invalidates everything that (transitively) builds on it.
DEPENDS: dict[str, tuple[str, ...]] = {
    "clone": (),
    "patch-repo": ("clone",),
    "env": (),
    "torch": ("env",),
    "requirements": ("torch",),
    "patch-site": ("requirements",),
    "weights": ("clone",),
    "verify": STEPS[:-1],
}


def dependents(step: str) -> list[str]:
    """Steps that must rerun when `step` reruns, in STEPS order."""
    out: set[str] = set()
    frontier = {step}
    while frontier:
        nxt = {s for s, deps in DEPENDS.items() if frontier & set(deps)} - out
        out |= nxt
        frontier = nxt
    return [s for s in STEPS if s in out]


def _plain(obj: Any) -> Any:
    if isinstance(obj, BaseModel):
        return obj.model_dump(mode="json", by_alias=True)
    if isinstance(obj, (list, tuple)):
        return [_plain(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def fingerprint(*parts: Any) -> str:
    blob = json.dumps(_plain(list(parts)), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


@dataclass(frozen=True)
class SetupTarget:
    name: str  # also the env/clone/record name
    env: Env
    upstream: Upstream | None = None
    patches: tuple[Patch, ...] = ()
    weights: tuple[Weight, ...] = ()
    manifest: Path | None = None
    digest: str = ""

    @property
    def repo_patches(self) -> list[Patch]:
        return [p for p in self.patches if p.target == "repo"]

    @property
    def site_patches(self) -> list[Patch]:
        return [p for p in self.patches if p.target == "site-packages"]

    def _lock_digests(self) -> list[str]:
        """A changed lock file reinstalls the requirements (nothing when there are no locks: older records
        keep their fingerprints)."""
        if self.manifest is None:
            return []
        from thtui.core.setup.lockgen import lock_dir

        return [
            f"{p.name}:{hashlib.sha256(p.read_bytes()).hexdigest()[:16]}"
            for p in sorted(lock_dir(self.manifest).glob("*.txt"))
        ]

    def fingerprints(self) -> dict[str, str]:
        e = self.env
        fp: dict[str, str] = {}
        fp["clone"] = fingerprint("clone", self.upstream)
        fp["patch-repo"] = fingerprint("patch-repo", fp["clone"], self.repo_patches)
        fp["env"] = fingerprint("env", e.python, e.conda)
        fp["torch"] = fingerprint("torch", fp["env"], e.torch, e.torch_default)
        fp["requirements"] = fingerprint(
            "requirements", fp["torch"], e.pip, e.pip_extra_index, e.pip_no_deps, *self._lock_digests()
        )
        fp["patch-site"] = fingerprint("patch-site", fp["requirements"], self.site_patches)
        fp["weights"] = fingerprint("weights", fp["clone"], self.weights)
        fp["verify"] = fingerprint("verify", [fp[s] for s in STEPS[:-1]], e.verify_imports)
        return fp


def target_of(item: LoadedSolution | SetupTarget) -> SetupTarget:
    if isinstance(item, SetupTarget):
        return item
    sol = item.solution
    if sol.kind != "upstream" or sol.env is None:
        raise ValueError(f"{sol.name} is built in: there is nothing to install")
    return SetupTarget(
        name=sol.name,
        env=sol.env,
        upstream=sol.upstream,
        patches=tuple(sol.patches),
        weights=tuple(sol.weights),
        manifest=item.path,
        digest=item.digest,
    )
