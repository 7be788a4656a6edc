"""Patches change only the lines they patch: a CRLF file keeps every CRLF (issue 12: Audio2Head's two
CRLF files came out with ~620 changed lines instead of 5), and an LF file stays LF."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from thtui.core.catalog.schema import Patch
from thtui.core.setup.steps_source import apply_patches, patches_intact

PATCH = Patch(
    id="cpu",
    path="inference.py",
    find="    x = x.cuda()\n    y = y.cuda()\n",
    replace="    x = x.to(dev)\n    y = y.to(dev)\n",
    reason="test",
)


def _ctx(base: Path) -> SimpleNamespace:
    logged: list[str] = []
    session = SimpleNamespace(log=lambda step, text: logged.append(text))
    return SimpleNamespace(session=session, repo=base, logged=logged)


def _lines(eol: bytes) -> list[bytes]:
    body = [b"import torch", b"def run(x, y):", b"    x = x.cuda()", b"    y = y.cuda()", b"    return x"]
    return [line + eol for line in body] + [b"# tail" + eol] * 300


def test_crlf_file_keeps_its_endings_byte_for_byte(tmp_path: Path) -> None:
    src = tmp_path / "inference.py"
    src.write_bytes(b"".join(_lines(b"\r\n")))
    out = apply_patches(_ctx(tmp_path), "patch-repo", tmp_path, [PATCH])
    assert out.detail == "1 applied"
    expected = b"".join(_lines(b"\r\n")).replace(
        b"    x = x.cuda()\r\n    y = y.cuda()\r\n", b"    x = x.to(dev)\r\n    y = y.to(dev)\r\n"
    )
    assert src.read_bytes() == expected
    changed = [
        a for a, b in zip(_lines(b"\r\n"), src.read_bytes().splitlines(keepends=True), strict=True) if a != b
    ]
    assert len(changed) == 2  # the two patched lines, nothing else
    # Idempotent and recognised as applied on a CRLF file.
    assert (
        apply_patches(_ctx(tmp_path), "patch-repo", tmp_path, [PATCH]).detail
        == "0 applied, 1 already in place"
    )
    assert patches_intact(_ctx(tmp_path), {"base": str(tmp_path)}, [PATCH]) is None
    assert src.read_bytes() == expected


def test_lf_file_stays_lf(tmp_path: Path) -> None:
    src = tmp_path / "inference.py"
    src.write_bytes(b"".join(_lines(b"\n")))
    apply_patches(_ctx(tmp_path), "patch-repo", tmp_path, [PATCH])
    data = src.read_bytes()
    assert b"\r" not in data and b"    x = x.to(dev)\n    y = y.to(dev)\n" in data
    assert len(data) == len(b"".join(_lines(b"\n"))) + 2 * (len(b"x.to(dev)") - len(b"x.cuda()"))
