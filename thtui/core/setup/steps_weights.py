"""Step `weights`: every file into the shared store under `settings.weights_dir`, then a symlink at the
manifest's `dest` inside the clone. The store is keyed by content (sha256) or by source, so two
solutions that need the same file download it once; `uninstall` keeps files another install uses.

    weights_dir/files/<sha256 | url-<hash> | gdrive-<id>>/<name>     url and Google Drive weights
    weights_dir/hf/<org>--<repo>/<commit>/<path in repo>             Hugging Face Hub weights
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from thtui.core.catalog.schema import Weight
from thtui.core.downloads import DownloadError, Expect, check_file, download, gdrive, hf
from thtui.core.setup.context import Outcome, Step, StepContext
from thtui.core.setup.session import StepFailure
from thtui.core.wording import plural


@dataclass(frozen=True)
class Placed:
    store: Path
    link: Path
    expect: Expect

    def to_json(self) -> dict:
        e = self.expect
        return {
            "store": str(self.store),
            "link": str(self.link),
            "sha256": e.sha256,
            "size": e.size,
            "git_sha1": e.git_sha1,
            "min_size": e.min_size,
        }


def expect_of(item: dict) -> Expect:
    return Expect(item.get("sha256"), item.get("size"), item.get("git_sha1"), item.get("min_size"))


def files_store(weights_dir: Path, w: Weight) -> Path:
    if w.sha256:
        key = w.sha256
    elif w.url:
        key = "url-" + hashlib.sha1(w.url.encode()).hexdigest()[:16]
    else:
        key = f"gdrive-{w.gdrive}"
    return weights_dir / "files" / key / Path(w.dest).name


def link_into(store: Path, link: Path) -> None:
    """Atomically point `link` at `store`, replacing whatever placeholder the upstream repo had there."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and os.readlink(link) == str(store):
        return
    if link.is_dir() and not link.is_symlink():
        raise StepFailure(f"{link} is a directory in the clone; the manifest wants a file there")
    tmp = link.with_name(f".{link.name}.thtui-link")
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(store)
    os.replace(tmp, link)


def _get(
    ctx: StepContext, label: str, url: str, store: Path, expect: Expect, headers: dict | None = None
) -> None:
    s = ctx.session
    if store.exists() and check_file(store, expect) is None:
        s.log("weights", f"{label}: already in the store ({store})")
        return
    s.log("weights", f"{label}: downloading {url}")
    download(url, store, expect, headers=headers, progress=s.progress("weights", label), cancel=s.cancel)
    s.log("weights", f"{label}: {store.stat().st_size} bytes, {expect.describe()} verified")


def place(ctx: StepContext, w: Weight) -> list[Placed]:
    wdir, base = ctx.settings.weights_dir, ctx.repo
    if w.url or w.gdrive:
        store = files_store(wdir, w)
        expect = Expect(sha256=w.sha256, size=w.size, min_size=getattr(w, "min_size", None))
        if w.url:
            _get(ctx, w.dest, w.url, store, expect)
        elif not (store.exists() and check_file(store, expect) is None):
            _get(ctx, w.dest, gdrive.resolve(w.gdrive or ""), store, expect)
        return [Placed(store, base / w.dest, expect)]
    assert w.hf is not None
    if w.hf.file is not None:
        f = hf.resolve_file(w.hf.repo, w.hf.file, w.hf.revision)
        if w.sha256 and f.expect.sha256 and w.sha256 != f.expect.sha256:
            raise StepFailure(
                f"{w.dest}: the manifest's sha256 {w.sha256[:12]}… differs from the Hub's {f.expect.sha256[:12]}… "
                f"for {w.hf.repo}/{w.hf.file}@{f.commit[:12]}",
                "pin the revision to the commit the sha256 was taken from",
            )
        expect = Expect(
            sha256=w.sha256 or f.expect.sha256,
            size=w.size or f.expect.size,
            git_sha1=None if (w.sha256 or f.expect.sha256) else f.expect.git_sha1,
        )
        store = hf.store_path(wdir, f)
        _get(ctx, w.dest, f.url, store, expect, hf.auth_headers())
        return [Placed(store, base / w.dest, expect)]
    out = []
    for f in hf.list_files(w.hf.repo, w.hf.revision, list(w.hf.include or [])):
        store = hf.store_path(wdir, f)
        label = f"{w.dest}/{f.path}"
        _get(ctx, label, f.url, store, f.expect, hf.auth_headers())
        out.append(Placed(store, base / w.dest / f.path, f.expect))
    return out


def _check_disk(ctx: StepContext) -> None:
    """Fail before downloading gigabytes into a disk that cannot hold them (sizes the manifest knows)."""
    wdir = ctx.settings.weights_dir

    def present(w: Weight) -> bool:
        if w.url or w.gdrive:
            return files_store(wdir, w).exists()
        assert w.hf is not None  # any stored commit will do for an estimate
        return (
            any((wdir / "hf" / w.hf.repo.replace("/", "--")).glob(f"*/{w.hf.file}")) if w.hf.file else False
        )

    need = sum(w.size for w in ctx.target.weights if w.size and not present(w))
    probe = wdir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if need > free:
        raise StepFailure(
            f"the weights need {need / 1e9:.1f} GB but {probe} has {free / 1e9:.1f} GB free",
            "free some space, or point THTUI_HOME (--data-root) at a bigger disk",
        )


def run_weights(ctx: StepContext) -> Outcome:
    _check_disk(ctx)
    placed: list[Placed] = []
    skipped = []
    for w in ctx.target.weights:
        ctx.session.check_cancel()
        try:
            items = place(ctx, w)
        except DownloadError as exc:
            if not w.optional:
                gated = w.hf is not None and any(k in str(exc) for k in ("Gated", "401", "403"))
                hint = "set HF_TOKEN to a Hugging Face token that has access" if gated else ""
                raise StepFailure(f"{w.dest}: {exc}", hint or "rerun setup: downloads resume") from None
            ctx.session.note("weights", f"optional weight {w.dest} skipped: {exc}")
            skipped.append(w.dest)
            continue
        for item in items:
            link_into(item.store, item.link)
        placed += items
    total = sum(p.store.stat().st_size for p in placed)
    detail = f"{plural(len(placed), 'file')}, {total / 1e6:.1f} MB" + (
        f"; {len(skipped)} optional skipped" if skipped else ""
    )
    return Outcome(detail, {"files": [p.to_json() for p in placed], "skipped": skipped})


def weights_intact(ctx: StepContext, info: dict) -> str | None:
    for item in info.get("files", []):
        link, store = Path(item["link"]), Path(item["store"])
        if not link.is_symlink() or os.readlink(link) != str(store):
            return f"{link} no longer points into the weight store"
        try:
            size = store.stat().st_size
        except OSError:
            return f"{store} is missing"
        if item.get("size") is not None and size != item["size"]:
            return f"{store} has {size} bytes, expected {item['size']}"
    return None


WEIGHTS = Step(
    "weights",
    lambda t: f"download {plural(len(t.weights), 'weight')} and link them into the clone",
    run_weights,
    applies=lambda t: None if t.weights else "no weights",
    intact=weights_intact,
)
