"""Environment fingerprint: everything that could make two runs differ besides the inputs.

Captured at run start (the runs engine stores it in run.json as "fingerprint") and again at report time
when a run has none. Two fingerprints are compared key by key by `thtui.core.report.diff`.

Shape (every value JSON-serialisable; missing facts are None plus an "error" text, never an exception):
    {"schema": 1, "captured_at": ISO-8601, "digest": sha256 of everything except captured_at/digest,
     "thtui": {"version", "commit", "dirty"},
     "os": {"platform", "system", "release", "machine", "python", "libc"},
     "gpu": {"driver", "cuda_driver", "gpus": [{"index", "name", "sm", "memory_total_mb"}], "error"},
     "ffmpeg": {"path", "origin", "version"},
     "host_packages": {name: version}              # thtui's own interpreter (builtins run in it)
     "solutions": {name: {"kind", "manifest_digest", "installed_manifest_digest",
                          "upstream": {"repo", "pinned_commit", "head_commit", "dirty"} | None,
                          "patches": [{"id", "target", "path", "reason"}],
                          "env": {"python", "torch", "torch_cuda", "packages": {name: version},
                                  "error"} | None}}}
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import subprocess
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

from thtui import __version__
from thtui.core import tools
from thtui.core.catalog import Catalog, LoadedSolution
from thtui.core.config import Settings, repo_root
from thtui.core.gpu_info import GpuReport, probe_gpus
from thtui.core.install_status import record_path
from thtui.core.plan import env_prefix, repo_dir

SCHEMA = 1
_FREEZE_TIMEOUT_S = 60
_GIT_TIMEOUT_S = 10


def _run(argv: list[str], cwd: Path | None = None, timeout: float = _GIT_TIMEOUT_S) -> tuple[int, str, str]:
    try:
        p = subprocess.run(
            argv,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, "", str(exc)
    return p.returncode, p.stdout, p.stderr


def git_state(directory: Path) -> dict[str, Any]:
    """HEAD commit and whether the work tree has local edits (patches show up as dirty, on purpose)."""
    if not (directory / ".git").exists():
        return {"head_commit": None, "dirty": None, "error": f"no git checkout at {directory}"}
    git = tools.which("git")
    if not git.found:
        return {"head_commit": None, "dirty": None, "error": "git not found"}
    rc, out, err = _run([git.path, "-C", str(directory), "rev-parse", "HEAD"])  # type: ignore[list-item]
    if rc != 0:
        return {"head_commit": None, "dirty": None, "error": err.strip() or f"git exited {rc}"}
    head = out.strip()
    rc, out, _ = _run([git.path, "-C", str(directory), "status", "--porcelain", "--untracked-files=no"])  # type: ignore[list-item]
    return {"head_commit": head, "dirty": bool(out.strip()) if rc == 0 else None}


def parse_freeze(text: str) -> dict[str, str]:
    """`pip freeze` lines -> {normalised name: version or requirement}. Editable and URL installs keep
    their full line as the 'version' so a change of source is still visible."""
    packages: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if "==" in line:
            name, version = line.split("==", 1)
        elif " @ " in line:
            name, version = line.split(" @ ", 1)
        elif line.startswith("-e "):
            name, version = line[3:].rsplit("#egg=", 1)[-1], line
        else:
            name, version = line, ""
        packages[_normalise(name)] = version.strip()
    return packages


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def _torch_facts(packages: dict[str, str]) -> tuple[str | None, str | None]:
    """torch version, and the CUDA build from its local tag (2.1.0+cu121 -> 12.1; +cpu -> 'cpu')."""
    version = packages.get("torch")
    if not version:
        return None, None
    m = re.search(r"\+cu(\d+)(\d)$", version)
    if m:
        return version, f"{m.group(1)}.{m.group(2)}"
    if version.endswith("+cpu"):
        return version, "cpu"
    return version, None


def freeze_env(python: Path) -> dict[str, Any]:
    """`<env>/bin/python -m pip freeze` plus the interpreter version; never raises."""
    if not python.exists():
        return {
            "python": None,
            "torch": None,
            "torch_cuda": None,
            "packages": {},
            "error": f"{python} not found",
        }
    rc, out, err = _run([str(python), "-m", "pip", "freeze", "--all"], timeout=_FREEZE_TIMEOUT_S)
    packages = parse_freeze(out) if rc == 0 else {}
    _, ver, _ = _run([str(python), "-c", "import platform; print(platform.python_version())"])
    torch, torch_cuda = _torch_facts(packages)
    result: dict[str, Any] = {
        "python": ver.strip() or None,
        "torch": torch,
        "torch_cuda": torch_cuda,
        "packages": packages,
    }
    if rc != 0:
        result["error"] = (err.strip().splitlines() or [f"pip freeze exited {rc}"])[-1]
    return result


def host_packages() -> dict[str, str]:
    """Packages of thtui's own interpreter, read from metadata (no subprocess)."""
    out: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata.get("Name")
        if name:
            out[_normalise(name)] = dist.version
    return dict(sorted(out.items()))


def _installed_digest(settings: Settings, name: str) -> str | None:
    path = record_path(settings, name)
    try:
        return json.loads(path.read_text()).get("manifest_digest")
    except (OSError, ValueError, AttributeError):
        return None


def _solution_facts(settings: Settings, loaded: LoadedSolution) -> dict[str, Any]:
    sol = loaded.solution
    facts: dict[str, Any] = {
        "kind": sol.kind,
        "manifest_digest": loaded.digest,
        "installed_manifest_digest": _installed_digest(settings, sol.name) if sol.kind != "builtin" else None,
        "upstream": None,
        "patches": [
            {"id": p.id, "target": p.target, "path": p.path, "reason": p.reason} for p in sol.patches
        ],
        "env": None,
    }
    if sol.upstream is not None:
        facts["upstream"] = {"repo": sol.upstream.repo, "pinned_commit": sol.upstream.commit}
        facts["upstream"].update(git_state(repo_dir(settings, sol.name)))
    if sol.kind != "builtin":
        facts["env"] = freeze_env(env_prefix(settings, sol.name) / "bin" / "python")
    return facts


def _ffmpeg_facts() -> dict[str, Any]:
    ff = tools.ffmpeg()
    version = None
    if ff.found:
        rc, out, _ = _run([ff.path, "-hide_banner", "-version"])  # type: ignore[list-item]
        first = out.splitlines()[0] if rc == 0 and out else ""
        version = first.split(" Copyright")[0].removeprefix("ffmpeg version ").strip() or None
    return {"path": ff.path, "origin": ff.origin, "version": version}


def _gpu_facts(report: GpuReport) -> dict[str, Any]:
    return {
        "driver": report.driver,
        "cuda_driver": report.cuda_driver,
        "gpus": [
            {"index": g.index, "name": g.name, "sm": g.sm, "memory_total_mb": g.memory_total_mb}
            for g in report.gpus
        ],
        "error": report.error,
    }


def _os_facts() -> dict[str, Any]:
    libc = platform.libc_ver()
    return {
        "platform": platform.platform(),
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "libc": " ".join(p for p in libc if p) or None,
    }


def fingerprint_digest(fp: dict[str, Any]) -> str:
    """Stable digest of the facts (not of when they were captured)."""
    body = {k: v for k, v in fp.items() if k not in ("captured_at", "digest", "captured")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]


def capture_fingerprint(
    settings: Settings,
    catalog: Catalog,
    solutions: Iterable[str],
    *,
    gpu_report: GpuReport | None = None,
) -> dict[str, Any]:
    """Snapshot of the environment a run uses. `solutions` are the names in the run; unknown names are
    recorded with an error instead of raising. `gpu_report` lets callers (and tests) pass a probe they
    already made. Runs `pip freeze` per env in parallel; typically a second or two per env."""
    names = list(dict.fromkeys(solutions))
    repo = repo_root()
    thtui_git = git_state(repo) if (repo / ".git").exists() else {"head_commit": None, "dirty": None}

    def one(name: str) -> tuple[str, dict[str, Any]]:
        if name not in catalog:
            return name, {"error": f"not in the catalog at {settings.solutions_dir}"}
        return name, _solution_facts(settings, catalog.get(name))

    with ThreadPoolExecutor(max_workers=min(4, max(1, len(names)))) as pool:
        per_solution = dict(pool.map(one, names))

    fp: dict[str, Any] = {
        "schema": SCHEMA,
        "captured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "thtui": {
            "version": __version__,
            "commit": thtui_git.get("head_commit"),
            "dirty": thtui_git.get("dirty"),
        },
        "os": _os_facts(),
        "gpu": _gpu_facts(gpu_report if gpu_report is not None else probe_gpus()),
        "ffmpeg": _ffmpeg_facts(),
        "host_packages": host_packages(),
        "solutions": per_solution,
    }
    fp["digest"] = fingerprint_digest(fp)
    return fp
