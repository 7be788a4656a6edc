"""`uninstall`: remove a solution's env, clone and the weights no other installed solution uses."""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from thtui.core.catalog.loader import LoadedSolution
from thtui.core.config import Settings
from thtui.core.downloads.http import lock_path
from thtui.core.events import EventSink, discard
from thtui.core.plan import env_prefix, repo_dir
from thtui.core.setup.events import Kept, Removed
from thtui.core.setup.record import Record, SetupBusy, child_path, record_path, setup_lock
from thtui.core.setup.steps_weights import files_store
from thtui.core.setup.target import SetupTarget, target_of

_SIDECARS = (".part", ".part.json", ".verified")


@dataclass(frozen=True)
class UninstallResult:
    solution: str
    ok: bool
    freed_bytes: int = 0
    removed: tuple[str, ...] = ()
    kept: tuple[tuple[str, str], ...] = ()  # (store path, why)
    error: str | None = None


def _weights_used_by_others(settings: Settings, name: str) -> dict[str, str]:
    used: dict[str, str] = {}
    for path in settings.state_dir.glob("*.json"):
        if path.stem == name:
            continue
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for item in ((data.get("steps") or {}).get("weights") or {}).get("info", {}).get("files", []):
            used.setdefault(item["store"], path.stem)
    return used


def _our_weights(settings: Settings, target: SetupTarget, record: Record) -> list[Path]:
    stores = [Path(i["store"]) for i in record.info("weights").get("files", [])]
    # Files of url/Drive weights have predictable store paths: catches .part files of an unfinished setup.
    stores += [files_store(settings.weights_dir, w) for w in target.weights if w.url or w.gdrive]
    return list(dict.fromkeys(stores))


class _Freed:
    """Counts bytes actually released: a hard-linked file (uv's cache) only counts when its last link goes."""

    def __init__(self) -> None:
        self._seen: dict[tuple[int, int], int] = {}

    def measure(self, path: Path) -> int:
        total = 0
        for entry in self._walk(path):
            try:
                st = os.lstat(entry)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode):
                continue
            key = (st.st_dev, st.st_ino)
            self._seen[key] = self._seen.get(key, 0) + 1
            if self._seen[key] == st.st_nlink:
                total += st.st_size
        return total

    @staticmethod
    def _walk(path: Path):  # type: ignore[no-untyped-def]
        if not path.is_dir() or path.is_symlink():
            yield path
            return
        for root, dirs, files in os.walk(path):
            yield from (
                Path(root) / n for n in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]
            )


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _prune_empty(path: Path, stop: Path) -> None:
    parent = path.parent
    while parent != stop and stop in parent.parents:
        try:
            parent.rmdir()
        except OSError:
            return
        parent = parent.parent


def uninstall(
    settings: Settings, solution: LoadedSolution | SetupTarget, sink: EventSink = discard
) -> UninstallResult:
    target = target_of(solution)
    name = target.name
    from thtui.core.config import check_folders

    check_folders(settings, "data_root")  # a file or read-only data root: PathProblem, one line, no lock made
    try:
        with setup_lock(settings, name, wait=False):
            record = Record.load(settings, name)
            others = _weights_used_by_others(settings, name)
            doomed = [
                env_prefix(settings, name),
                repo_dir(settings, name),
                repo_dir(settings, name).with_name(f"{name}.partial"),
            ]
            kept: list[tuple[str, str]] = []
            weights: list[Path] = []
            sidecars: set[Path] = set()  # reported only when they free bytes (a .part does)
            for store in _our_weights(settings, target, record):
                if str(store) in others:
                    kept.append((str(store), f"also used by {others[str(store)]}"))
                    sink(Kept(solution=name, path=str(store), reason=kept[-1][1]))
                    continue
                extra = [lock_path(store)] + [store.with_name(store.name + sfx) for sfx in _SIDECARS]
                weights += [store, *extra]
                sidecars.update(extra)
            freed, removed, meter = 0, [], _Freed()
            for path in doomed + weights:
                if not (path.exists() or path.is_symlink()):
                    continue
                size = meter.measure(path)
                _remove(path)
                freed += size
                removed.append(str(path))
                if size or path not in sidecars:
                    sink(Removed(solution=name, path=str(path), bytes=size))
            for store in weights:
                _prune_empty(store, settings.weights_dir)
            record_path(settings, name).unlink(missing_ok=True)
            child_path(settings, name).unlink(missing_ok=True)
            return UninstallResult(name, True, freed, tuple(removed), tuple(kept))
    except SetupBusy as exc:
        return UninstallResult(name, False, error=str(exc))
