"""Which installed distributions own which files, read from each `*.dist-info/RECORD` in an env's
site-packages. Two distributions writing the same files (opencv-python + opencv-python-headless both own
`cv2/`, pillow + pillow-simd both own `PIL/`) leave a package that belongs to whichever installed last:
removing or upgrading either one breaks it, and neither `pip check` nor `uv pip check` notices."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    files: frozenset[str]  # paths relative to site-packages, "/"-separated


@dataclass(frozen=True)
class SharedPackage:
    package: str  # the top-level import name, e.g. "cv2"
    owners: tuple[str, ...]  # "opencv-python 4.9.0.80", ...

    def message(self) -> str:
        return f"{self.package} is installed by {' and '.join(self.owners)}"


def _meta(dist_info: Path) -> tuple[str, str]:
    name = version = ""
    try:
        with (dist_info / "METADATA").open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if not line.strip():
                    break  # headers end at the first blank line
                key, _, value = line.partition(":")
                if key == "Name":
                    name = value.strip()
                elif key == "Version":
                    version = value.strip()
    except OSError:
        pass
    if not name:  # "opencv_python-4.9.0.80.dist-info"
        name, _, version = dist_info.name.removesuffix(".dist-info").partition("-")
    return name, version


def _recorded(dist_info: Path) -> frozenset[str]:
    try:
        with (dist_info / "RECORD").open(encoding="utf-8", errors="replace", newline="") as fh:
            return frozenset(row[0].replace("\\", "/") for row in csv.reader(fh) if row and row[0])
    except OSError:
        return frozenset()


def installed(site_dirs: list[Path]) -> list[Dist]:
    out = []
    for site in dict.fromkeys(site_dirs):  # purelib and platlib are usually the same directory
        for info in sorted(Path(site).glob("*.dist-info")):
            name, version = _meta(info)
            out.append(Dist(name, version, _recorded(info)))
    return out


def _content(path: str) -> bool:
    """A file that makes up a package. Left out: metadata, bytecode, scripts outside site-packages, and
    every `__init__.py` (namespace roots such as `nvidia/__init__.py` are shipped by many wheels on purpose)."""
    parts = path.split("/")
    return not (
        len(parts) < 2
        or parts[0] == ".."
        or parts[0].endswith((".dist-info", ".data"))
        or "__pycache__" in parts
        or parts[-1] == "__init__.py"
        or path.endswith(".pyc")
    )


def shared_packages(dists: list[Dist]) -> list[SharedPackage]:
    """Top-level packages whose files two or more distributions both claim."""
    owners: dict[str, list[Dist]] = {}
    for d in dists:
        for f in d.files:
            if _content(f):
                owners.setdefault(f, []).append(d)
    by_package: dict[str, dict[str, Dist]] = {}
    for f, ds in owners.items():
        if len(ds) > 1:
            by_package.setdefault(f.split("/")[0], {}).update({d.name: d for d in ds})
    return [
        SharedPackage(
            pkg, tuple(f"{d.name} {d.version}".strip() for d in sorted(ds.values(), key=lambda d: d.name))
        )
        for pkg, ds in sorted(by_package.items())
    ]
