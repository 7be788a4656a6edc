"""The catalog's CUDA extensions (env.cuda_extensions, what `thtui doctor` reports) agree with what setup
installs: a wheel a manifest installs by URL (pip / pip_no_deps `name @ https://...whl`) is the wheel its
cuda_extensions entry names for every torch profile, and every flash-attn/xformers-like URL install is listed."""

from __future__ import annotations

import re

from thtui.core.catalog import Catalog

URL_REQ = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*@\s*(https://\S+\.whl)\s*$")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_url_installs_match_the_listed_wheels(catalog: Catalog) -> None:
    checked = 0
    for loaded in catalog:
        env = loaded.solution.env
        if env is None:
            continue
        by_name = {_norm(re.split(r"[=<>!~\[ ]", e.package, maxsplit=1)[0]): e for e in env.cuda_extensions}
        for entry in [*env.pip, *env.pip_no_deps]:
            m = URL_REQ.match(entry)
            if not m:
                continue
            name, url = _norm(m.group(1)), m.group(2)
            ext = by_name.get(name)
            assert ext is not None, (
                f"{loaded.name}: {name} is installed from a wheel URL but not in cuda_extensions"
            )
            assert set(ext.wheels) == set(env.torch), (
                f"{loaded.name}: {name} lists wheels for {sorted(ext.wheels)}"
            )
            assert all(w == url for w in ext.wheels.values()), (
                f"{loaded.name}: {name} wheels differ from {url}"
            )
            checked += 1
    assert checked >= 2, "InfiniteTalk and LiveAvatar install flash-attn from release wheels"
