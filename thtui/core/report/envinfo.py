"""Fingerprint -> the rows a report's "Environment" section shows (shared by the Markdown and HTML views)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SolutionEnv:
    solution: str
    python: str
    torch: str
    torch_cuda: str
    upstream: str  # "repo @ head" (or the pinned commit when not cloned)
    commit_note: str  # "matches pin" / "differs from pin abc1234" / "local edits" ...
    patches: list[str]  # "id: reason"
    manifest: str  # digest, with "(installed from another version)" when it changed since install
    packages: dict[str, str]
    error: str


def _short(sha: str | None) -> str:
    return sha[:10] if sha else "—"


def machine_rows(fp: dict[str, Any]) -> list[tuple[str, str]]:
    gpu = fp.get("gpu") or {}
    gpus = gpu.get("gpus") or []
    names = ", ".join(
        f"{g.get('name')} ({g.get('sm')}, {round((g.get('memory_total_mb') or 0) / 1024)} GiB)" for g in gpus
    )
    osf = fp.get("os") or {}
    th = fp.get("thtui") or {}
    ff = fp.get("ffmpeg") or {}
    commit = _short(th.get("commit"))
    if th.get("dirty"):
        commit += " (local edits)"
    rows = [
        ("GPU", names or f"none ({gpu.get('error') or 'not reported'})"),
        ("NVIDIA driver", gpu.get("driver") or "—"),
        ("CUDA (driver)", gpu.get("cuda_driver") or "—"),
        ("OS", osf.get("platform") or "—"),
        ("Python (thtui)", osf.get("python") or "—"),
        ("thtui", f"{th.get('version') or '—'} @ {commit}"),
        ("ffmpeg", f"{ff.get('version') or '—'} · {ff.get('origin') or '?'}"),
        ("Fingerprint digest", fp.get("digest") or "—"),
        ("Captured", fp.get("captured_at") or "—"),
    ]
    return rows


def host_env(fp: dict[str, Any]) -> SolutionEnv | None:
    """thtui's own interpreter: builtins (the static baseline) run in it."""
    host = fp.get("host_packages") or {}
    if not host:
        return None
    return SolutionEnv(
        solution="thtui (builtins)",
        python=(fp.get("os") or {}).get("python") or "—",
        torch=host.get("torch") or "—",
        torch_cuda="—",
        upstream="—",
        commit_note="",
        patches=[],
        manifest="—",
        packages=dict(host),
        error="",
    )


def solution_rows(fp: dict[str, Any]) -> list[SolutionEnv]:
    out = []
    for name, s in (fp.get("solutions") or {}).items():
        if not isinstance(s, dict):
            continue
        if s.get("error") and "manifest_digest" not in s:  # not in the catalog: nothing else is known
            out.append(SolutionEnv(name, "—", "—", "—", "—", "", [], "—", {}, str(s["error"])))
            continue
        env = s.get("env")
        up = s.get("upstream") or None
        if up:
            head, pin = up.get("head_commit"), up.get("pinned_commit")
            upstream = f"{up.get('repo')} @ {_short(head or pin)}"
            if head is None:
                note = f"not cloned ({up.get('error') or 'no checkout'}); pinned {_short(pin)}"
            elif pin and not head.startswith(pin):
                note = f"differs from pin {_short(pin)}"
            else:
                note = "matches pin"
            if up.get("dirty"):
                note += "; local edits (patches)"
        else:
            upstream, note = "builtin (part of thtui)", "runs in thtui's own environment"
        manifest = s.get("manifest_digest") or "—"
        installed = s.get("installed_manifest_digest")
        if installed and installed != s.get("manifest_digest"):
            manifest += f" (installed from {installed})"
        env = env or {}
        out.append(
            SolutionEnv(
                solution=name,
                python=env.get("python") or ((fp.get("os") or {}).get("python") if not up else None) or "—",
                torch=env.get("torch") or "—",
                torch_cuda=env.get("torch_cuda") or "—",
                upstream=upstream,
                commit_note=note,
                patches=[f"{p.get('id')}: {p.get('reason')}" for p in s.get("patches") or []],
                manifest=manifest,
                packages=dict(env.get("packages") or {}),
                error=str(env.get("error") or ""),
            )
        )
    return out
