"""Parse a golden plan's argv with the upstream's REAL argparse, in its env, and compare the upstream-CLI fixture
(tests/fixtures/upstream_cli/NAME.yaml) with that parser flag by flag (default, type, choices, nargs, required).

Run with the system's env Python, cwd = the upstream code (so MODULE imports), e.g.:
    cd CLONE && ENV_PYTHON /path/to/thtui/benchmarks/real_argparse_check.py \\
        tests/fixtures/golden_plans/NAME.json MODULE tests/fixtures/upstream_cli/NAME.yaml
MODULE is the entry's module name (infer_flash, generate_video, ...); its parse function (parse_args or
_parse_args) is called with the plan's flags, so upstream's own post-parse checks run too. With GPU_PROBE_SHIM=1
the import-time GPU probes are answered first (see gpu_probe_shim.py). Prints one line; exit 1 on a mismatch.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from pathlib import Path

import yaml


def _plan_flags(argv: list[str]) -> list[str]:
    """The flags after the entry script (`python SCRIPT`, `python -m torch.distributed.run ... SCRIPT`)."""
    at = next((i for i, a in enumerate(argv) if a.endswith(".py")), None)
    return argv[at + 1 :] if at is not None else argv[3:]


def _compare(parser: argparse.ArgumentParser, spec: dict) -> list[tuple]:
    real = {
        a.option_strings[0] if a.option_strings else a.dest: a for a in parser._actions if a.dest != "help"
    }
    fixture = {a["flags"][0]: a for a in spec["arguments"]}
    if set(real) != set(fixture):
        return [("flags differ", sorted(set(real) ^ set(fixture)))]
    bad = []
    for flag, want in fixture.items():
        got = real[flag]
        if "default" in want and got.default != want["default"]:
            bad.append((flag, "default", got.default, want["default"]))
        if got.choices is not None and list(got.choices) != want.get("choices"):
            bad.append((flag, "choices", list(got.choices), want.get("choices")))
        if bool(got.required) != bool(want.get("required", False)):
            bad.append((flag, "required"))
        if not isinstance(got, argparse._StoreTrueAction) and got.nargs != want.get("nargs"):
            bad.append((flag, "nargs", got.nargs, want.get("nargs")))
        kind = getattr(got.type, "__name__", None)
        if kind != want.get("type") and not (kind is None and "type" not in want):
            # str2bool is recorded as str in the fixtures (the accepted strings are listed beside it)
            bad.append((flag, "type", kind, want.get("type")))
    return bad


def main() -> int:
    golden, module, fixture = sys.argv[1:4]
    if os.environ.get("GPU_PROBE_SHIM"):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from gpu_probe_shim import fake_one_gpu

        fake_one_gpu()
    sys.path.insert(0, os.getcwd())
    captured: list[argparse.ArgumentParser] = []
    original = argparse.ArgumentParser.parse_args

    def spy(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        captured.append(self)
        return original(self, args, namespace)

    argparse.ArgumentParser.parse_args = spy  # type: ignore[method-assign]
    sys.argv = [module, *_plan_flags(json.loads(Path(golden).read_text(encoding="utf-8"))["argv"])]
    entry = importlib.import_module(module)
    parse = getattr(entry, "parse_args", None) or entry._parse_args
    values = vars(parse())
    spec = yaml.safe_load(Path(fixture).read_text(encoding="utf-8"))
    bad = _compare(captured[0], spec)
    print(
        f"{module}: the plan's argv parses with the real parser ({len(values)} values); fixture mismatches: {bad}"
    )
    return 1 if [b for b in bad if b[1:3] != ("type", "str2bool")] else 0


if __name__ == "__main__":
    raise SystemExit(main())
