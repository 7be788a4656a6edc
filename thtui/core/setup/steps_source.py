"""Steps `clone` (shallow, at the pinned commit) and `patch-repo` / `patch-site` (literal, idempotent)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from thtui.core import tools
from thtui.core.catalog.schema import Patch
from thtui.core.setup.context import Outcome, Step, StepContext
from thtui.core.setup.session import StepFailure
from thtui.core.wording import plural

GIT_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}  # never hang on a credential prompt


def _git_env() -> dict[str, str]:
    return {**os.environ, **GIT_ENV}


def _head(repo: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
            env=_git_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def run_clone(ctx: StepContext) -> Outcome:
    up = ctx.target.upstream
    assert up is not None
    if not tools.which("git").found:
        raise StepFailure("git is not installed", "apt install git (or run `thtui bootstrap`)")
    dest = ctx.repo
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)  # leftovers of a killed clone
    tmp.parent.mkdir(parents=True, exist_ok=True)
    s, step, env = ctx.session, "clone", _git_env()
    s.run(step, ["git", "init", "-q", str(tmp)], env=env)
    s.run(step, ["git", "-C", str(tmp), "remote", "add", "origin", up.repo], env=env)
    try:
        # Shallow by commit id: one commit's files, not the project's history.
        s.run(step, ["git", "-C", str(tmp), "fetch", "--depth", "1", "origin", up.commit], env=env)
        ref = "FETCH_HEAD"
    except StepFailure as exc:
        s.note(step, f"shallow fetch of {up.commit} refused ({exc.error}); fetching the full history instead")
        s.run(step, ["git", "-C", str(tmp), "fetch", "--tags", "origin"], env=env)
        ref = up.commit
    s.run(
        step,
        ["git", "-C", str(tmp), "-c", "advice.detachedHead=false", "checkout", "-q", "--detach", ref],
        env=env,
    )
    head = _head(tmp) or ""
    if not head.startswith(up.commit):
        raise StepFailure(f"checked out {head[:12] or 'nothing'} but the manifest pins {up.commit}")
    if (tmp / ".gitmodules").exists():
        s.run(
            step,
            ["git", "-C", str(tmp), "submodule", "update", "--init", "--recursive", "--depth", "1"],
            env=env,
        )
    attrs = tmp / ".gitattributes"
    if attrs.exists() and "filter=lfs" in attrs.read_text(errors="replace"):
        if tools.which("git-lfs").found:
            s.run(step, ["git", "-C", str(tmp), "lfs", "pull"], env=env)
        else:
            s.note(step, "the repository keeps files in Git LFS but git-lfs is missing (apt install git-lfs)")
    if dest.exists():
        s.log(step, f"replacing the previous clone at {dest}")
        shutil.rmtree(dest)  # symlinked weights inside are links only; the store is untouched
    os.replace(tmp, dest)
    return Outcome(f"{up.repo} @ {head[:12]}", {"commit": head, "path": str(dest)})


def clone_intact(ctx: StepContext, info: dict) -> str | None:
    head = _head(ctx.repo)
    if head is None:
        return f"the clone at {ctx.repo} is missing"
    if head != info.get("commit"):
        return f"the clone is at {head[:12]}, not the recorded {str(info.get('commit'))[:12]}"
    return None


def _applied(patch: Patch, text: str) -> bool:
    if patch.find in patch.replace:  # the patch extends the text it finds: done once `replace` is there
        return patch.replace in text
    return patch.replace in text and patch.find not in text


def _read_exact(path: Path) -> str:
    """The file's text with its own line endings: a CRLF file must stay CRLF except for the patched
    lines (read_text would translate every line, and writing back would rewrite the whole file)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return fh.read()


def _with_endings(patch: Patch, file_text: str) -> Patch:
    """A manifest's find/replace text is written with LF; in a CRLF file it means the same lines with
    CRLF, so the replaced lines keep the file's endings too."""
    if "\r\n" not in file_text or "\r\n" in patch.find:
        return patch
    crlf = {k: getattr(patch, k).replace("\n", "\r\n") for k in ("find", "replace")}
    return patch.model_copy(update=crlf)


def apply_patches(ctx: StepContext, step: str, base: Path, patches: list[Patch]) -> Outcome:
    applied, already = [], []
    for p in patches:
        path = base / p.path
        if not path.is_file():
            raise StepFailure(
                f"patch {p.id}: {p.path} does not exist in {base}", "the manifest's path is wrong"
            )
        text = _read_exact(path)
        p = _with_endings(p, text)
        if _applied(p, text):
            already.append(p.id)
            ctx.session.log(step, f"patch {p.id}: already applied to {p.path}")
            continue
        n = text.count(p.find)
        first = p.find.strip().splitlines()[0] if p.find.strip() else p.find
        if n == 0:
            raise StepFailure(
                f"patch {p.id}: text to replace not found in {p.path}: {first[:80]!r}",
                "the upstream file changed; update the patch in the manifest",
            )
        if p.count is not None and n != p.count:
            raise StepFailure(
                f"patch {p.id}: expected {plural(p.count, 'occurrence')} in {p.path}, found {n}"
            )
        tmp = path.with_name(f".{path.name}.thtui-patch")
        with tmp.open("w", encoding="utf-8", newline="") as fh:  # write back exactly what was read
            fh.write(text.replace(p.find, p.replace))
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
        applied.append(p.id)
        ctx.session.log(step, f"patch {p.id}: applied to {p.path} ({p.reason})")
    detail = f"{len(applied)} applied" + (f", {len(already)} already in place" if already else "")
    return Outcome(detail, {"base": str(base), "patches": [p.id for p in patches]})


def patches_intact(ctx: StepContext, info: dict, patches: list[Patch]) -> str | None:
    base = Path(info.get("base") or ctx.repo)
    for p in patches:
        try:
            text = _read_exact(base / p.path)
            if not _applied(_with_endings(p, text), text):
                return f"patch {p.id} is no longer applied"
        except OSError:
            return f"{base / p.path} is missing"
    return None


def site_packages(ctx: StepContext) -> Path:
    lines = ctx.session.run(
        "patch-site",
        [ctx.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        env=ctx.install_environ(),
        quiet=True,
    )
    return Path(lines[-1].strip())


CLONE = Step(
    "clone",
    lambda t: f"clone {t.upstream.repo} @ {t.upstream.commit[:12]}" if t.upstream else "clone",
    run_clone,
    applies=lambda t: None if t.upstream else "no upstream repository",
    intact=clone_intact,
)
PATCH_REPO = Step(
    "patch-repo",
    lambda t: f"apply {plural(len(t.repo_patches), 'patch')} to the clone",
    lambda ctx: apply_patches(ctx, "patch-repo", ctx.repo, ctx.target.repo_patches),
    applies=lambda t: None if t.repo_patches else "no repository patches",
    intact=lambda ctx, info: patches_intact(ctx, info, ctx.target.repo_patches),
)
PATCH_SITE = Step(
    "patch-site",
    lambda t: f"apply {plural(len(t.site_patches), 'patch')} to installed packages",
    lambda ctx: apply_patches(ctx, "patch-site", site_packages(ctx), ctx.target.site_patches),
    applies=lambda t: None if t.site_patches else "no site-packages patches",
    intact=lambda ctx, info: patches_intact(ctx, info, ctx.target.site_patches),
)
