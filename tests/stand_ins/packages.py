"""Tiny Python packages for requirement installs, built without setuptools or the network.

`write_wheel` writes a valid py3-none-any wheel by hand. `write_waiting_sdist` writes a source tree whose
in-tree PEP 517 backend touches `started` and then waits for `go` to exist before building: a pip install
that is reliably in progress when a test kills setup.
"""

from __future__ import annotations

import base64
import hashlib
import textwrap
import zipfile
from pathlib import Path


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def wheel_bytes_files(name: str, version: str, modules: dict[str, str]) -> dict[str, bytes]:
    dist = f"{name.replace('-', '_')}-{version}.dist-info"
    files = {path: text.encode() for path, text in modules.items()}
    files[f"{dist}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    files[f"{dist}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: thtui-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = [_record_line(p, d) for p, d in files.items()] + [f"{dist}/RECORD,,"]
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    return files


def write_wheel(out_dir: Path, name: str, version: str, modules: dict[str, str]) -> Path:
    """modules: path inside the wheel -> source text, e.g. {"tinypkg/__init__.py": "X = 1\\n"}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in wheel_bytes_files(name, version, modules).items():
            zf.writestr(member, data)
    return path


_BACKEND = '''
"""In-tree build backend: announce, wait for the test's signal, then write a wheel by hand."""
import base64, hashlib, os, time, zipfile
NAME, VERSION, MODULES = {name!r}, {version!r}, {modules!r}
STARTED, GO = {started!r}, {go!r}

def get_requires_for_build_wheel(config_settings=None):
    return []

def _line(name, data):
    d = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{{name}},sha256={{d}},{{len(data)}}"

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    open(STARTED, "a").close()
    deadline = time.time() + 120
    while not os.path.exists(GO) and time.time() < deadline:
        time.sleep(0.05)
    dist = NAME.replace("-", "_") + "-" + VERSION + ".dist-info"
    files = {{p: t.encode() for p, t in MODULES.items()}}
    files[dist + "/METADATA"] = f"Metadata-Version: 2.1\\nName: {{NAME}}\\nVersion: {{VERSION}}\\n".encode()
    files[dist + "/WHEEL"] = b"Wheel-Version: 1.0\\nGenerator: thtui-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    record = [_line(p, d) for p, d in files.items()] + [dist + "/RECORD,,"]
    files[dist + "/RECORD"] = ("\\n".join(record) + "\\n").encode()
    wheel = NAME.replace("-", "_") + "-" + VERSION + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as zf:
        for member, data in files.items():
            zf.writestr(member, data)
    return wheel
'''


def write_waiting_sdist(
    src_dir: Path, name: str, version: str, modules: dict[str, str], started: Path, go: Path
) -> Path:
    """A source tree pip can install offline (no build requirements); its build waits for `go`."""
    src_dir.mkdir(parents=True, exist_ok=True)
    (src_dir / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = []
            build-backend = "waiting_backend"
            backend-path = ["."]

            [project]
            name = "{name}"
            version = "{version}"
            """
        )
    )
    backend = _BACKEND.format(name=name, version=version, modules=modules, started=str(started), go=str(go))
    (src_dir / "waiting_backend.py").write_text(backend)
    return src_dir
