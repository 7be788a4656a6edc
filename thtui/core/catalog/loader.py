"""Load and validate `solutions/*/solution.yaml` into `Solution` models."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from thtui.core.catalog.schema import Solution

MANIFEST = "solution.yaml"
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ManifestError(ValueError):
    """A manifest is broken. `problems` holds (field, reason) pairs; str() names the file too."""

    def __init__(self, path: Path, problems: list[tuple[str, str]]):
        self.path = path
        self.problems = problems
        lines = [f"{path}: invalid solution manifest"]
        lines += [f"  {field or '(top level)'}: {reason}" for field, reason in problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class LoadedSolution:
    solution: Solution
    path: Path  # the manifest file
    digest: str  # sha256 of the validated model, for "outdated" detection

    @property
    def name(self) -> str:
        return self.solution.name

    @property
    def dir(self) -> Path:
        return self.path.parent

    def part_digest(self, *parts: str) -> str:
        """Fingerprint of some top-level parts, so a setup step reruns only when *its* inputs change."""
        data = self.solution.model_dump(mode="json", by_alias=True)
        blob = json.dumps({p: data.get(p) for p in parts}, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def _field_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_manifest(path: Path) -> LoadedSolution:
    path = Path(path)
    try:
        # libyaml's parser when PyYAML has it: the pure-Python one took ~70 ms per manifest, most of `thtui list`.
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except OSError as exc:
        raise ManifestError(path, [("", f"cannot read: {exc.strerror or exc}")]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ManifestError(path, [(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from exc
    if not isinstance(raw, dict):
        raise ManifestError(path, [("", f"expected a mapping, got {type(raw).__name__}")])
    try:
        model = Solution.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field (typo?)"
            problems.append((_field_path(err["loc"]), msg))
        raise ManifestError(path, problems) from None
    if model.name != path.parent.name:
        raise ManifestError(path, [("name", f"{model.name!r} must match its directory {path.parent.name!r}")])
    digest = hashlib.sha256(
        json.dumps(model.model_dump(mode="json", by_alias=True), sort_keys=True).encode()
    ).hexdigest()[:16]
    return LoadedSolution(solution=model, path=path, digest=digest)


class Catalog:
    """All solutions in a directory, in a stable order (builtins last, then by name)."""

    def __init__(self, solutions: list[LoadedSolution]):
        self._by_name = {s.name: s for s in solutions}

    @classmethod
    def load(cls, directory: Path, cache_dir: Path | None = None) -> Catalog:
        """Every manifest in `directory`, validated. With `cache_dir`, a catalog validated before from
        the very same manifests is read from there instead (thtui/core/catalog/cache.py)."""
        directory = Path(directory)
        if not directory.is_dir():
            raise ManifestError(directory, [("", "solutions directory does not exist")])
        manifests = sorted(directory.glob(f"*/{MANIFEST}"))
        cached_at, key = None, None
        if cache_dir is not None:
            from thtui.core.catalog import cache

            cached_at, key = cache.cache_file(cache_dir, directory), cache.catalog_key(directory, manifests)
            hit = cache.read(cached_at, key) if key is not None else None
            if hit is not None:
                return cls(hit)
        errors: list[ManifestError] = []
        loaded: list[LoadedSolution] = []
        for manifest in manifests:
            try:
                loaded.append(load_manifest(manifest))
            except ManifestError as exc:
                errors.append(exc)
        if errors:
            # Report every broken manifest at once; fixing them one run at a time is tedious.
            raise (
                ManifestError(errors[0].path, errors[0].problems)
                if len(errors) == 1
                else CatalogError(errors)
            )
        if cached_at is not None and key is not None:
            cache.write(cached_at, key, loaded)
        return cls(loaded)

    def names(self) -> list[str]:
        return sorted(self._by_name, key=lambda n: (self._by_name[n].solution.kind == "builtin", n))

    def __iter__(self):
        return (self._by_name[n] for n in self.names())

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def get(self, name: str) -> LoadedSolution:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"unknown solution {name!r}; known: {', '.join(self.names())}") from None


class CatalogError(ManifestError):
    def __init__(self, errors: list[ManifestError]):
        self.errors = errors
        ValueError.__init__(self, "\n".join(str(e) for e in errors))
        self.path = errors[0].path
        self.problems = [p for e in errors for p in e.problems]
