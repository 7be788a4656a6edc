"""thtui.core must stay usable headless: importing every core module loads neither Textual nor rich."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import thtui.core


def _core_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(thtui.core.__path__, "thtui.core."))


def test_core_has_modules() -> None:
    assert "thtui.core.catalog.schema" in _core_modules()


def test_core_never_imports_textual_or_rich() -> None:
    code = (
        "import importlib, sys\n"
        f"for m in {_core_modules()!r}: importlib.import_module(m)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"thtui.core pulled in: {out.stdout.strip()}"
