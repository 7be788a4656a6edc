"""Text prompts (EchoMimicV3, LiveAvatar): the manifest's `infer.prompt` is the default, `--prompt` overrides it,
and `{prompt}` fills argv items and per-job config values whole (argv lists, never a shell).

Golden plans: tests/fixtures/golden_plans_prompt/{default,override}.json; update after an intended change with
  THTUI_UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_plan_prompt.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from test_plans_golden import RUN_ID, _inputs, _normalised

from thtui.core.catalog import Catalog
from thtui.core.catalog.loader import LoadedSolution, ManifestError, load_manifest
from thtui.core.catalog.schema import PROMPT_MAX_CHARS, uses_prompt
from thtui.core.config import Settings
from thtui.core.plan import build_plan, effective_prompt

MANIFESTS = Path(__file__).parent.parent / "fixtures" / "manifests"
GOLDEN = Path(__file__).parent.parent / "fixtures" / "golden_plans_prompt"
DEFAULT = "A person talking to the camera, neutral expression, soft light."
# Quotes, a semicolon, a command substitution, a newline, a brace placeholder and non-ASCII: a shell or a second
# format pass would change it; an argv item and a YAML value keep it byte for byte.
NASTY = "She says \"hi\"; $(rm -rf ~) `id` 'x' {image}\nnext line — ü"


def _prompted() -> LoadedSolution:
    return load_manifest(MANIFESTS / "good_prompt" / "solution.yaml")


def _broken(tmp_path: Path, infer_prompt: str | None, argv_prompt: bool = True) -> Path:
    """good_prompt with infer.prompt replaced (None: removed) and {prompt} kept in argv or dropped everywhere."""
    data = yaml.safe_load((MANIFESTS / "good_prompt" / "solution.yaml").read_text(encoding="utf-8"))
    data["name"] = "broken"
    if infer_prompt is None:
        del data["infer"]["prompt"]
    else:
        data["infer"]["prompt"] = infer_prompt
    if not argv_prompt:
        data["infer"]["argv"] = [a for a in data["infer"]["argv"] if a not in ("--prompt", "{prompt}")]
        data["infer"]["files"] = []
    path = tmp_path / "broken" / "solution.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", ["default", "override"])
def test_prompt_plan_matches_golden(settings: Settings, tmp_path: Path, case: str) -> None:
    image, audio = _inputs(tmp_path)
    prompt = None if case == "default" else "A calm news anchor, studio light."
    plan = build_plan(_prompted(), settings, image, audio, run_id=RUN_ID, gpu=0, prompt=prompt)
    got = _normalised(plan, settings, tmp_path)
    path = GOLDEN / f"{case}.json"
    if os.environ.get("THTUI_UPDATE_GOLDEN") == "1":
        path.write_text(
            json.dumps(got, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
        )
    assert got == json.loads(path.read_text(encoding="utf-8"))
    expected = prompt or DEFAULT
    assert got["argv"][got["argv"].index("--prompt") + 1] == expected
    assert yaml.safe_load(plan.files[0].content)["cases"][0]["prompt"] == expected
    assert got["values"]["prompt"] == expected


def test_prompt_stays_one_argv_item_and_one_yaml_value(settings: Settings, tmp_path: Path) -> None:
    image, audio = _inputs(tmp_path)
    plan = build_plan(_prompted(), settings, image, audio, run_id=RUN_ID, prompt=NASTY)
    assert plan.argv[plan.argv.index("--prompt") + 1] == NASTY  # not split, not expanded, {image} left as is
    assert len(plan.argv) == len(_prompted().solution.infer.argv)
    assert yaml.safe_load(plan.files[0].content)["cases"][0]["prompt"] == NASTY


def test_system_without_prompts_ignores_the_override(
    catalog: Catalog, settings: Settings, tmp_path: Path
) -> None:
    image, audio = _inputs(tmp_path)
    loaded = catalog.get("wav2lip")
    plain = build_plan(loaded, settings, image, audio, run_id=RUN_ID)
    given = build_plan(loaded, settings, image, audio, run_id=RUN_ID, prompt="ignored")
    assert not uses_prompt(loaded.solution) and "prompt" not in given.values
    assert given.argv == plain.argv and effective_prompt(loaded.solution, "ignored") is None


@pytest.mark.parametrize("bad", ["", "   ", "x" * (PROMPT_MAX_CHARS + 1)])
def test_bad_override_is_refused(settings: Settings, tmp_path: Path, bad: str) -> None:
    image, audio = _inputs(tmp_path)
    with pytest.raises(ValueError, match="the prompt (is empty|has 1001 characters; at most 1000)"):
        build_plan(_prompted(), settings, image, audio, prompt=bad)


def test_prompt_without_default_names_file_and_field() -> None:
    path = MANIFESTS / "prompt_without_default" / "solution.yaml"
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert str(path) in str(info.value)
    assert (
        "infer",
        "argv[5] uses {prompt} but infer.prompt (the default prompt text) is not set",
    ) in info.value.problems


@pytest.mark.parametrize(
    ("infer_prompt", "argv_prompt", "reason"),
    [
        ("", True, "the prompt is empty"),
        (" \n", True, "the prompt is empty"),
        (
            "y" * (PROMPT_MAX_CHARS + 1),
            True,
            f"the prompt has {PROMPT_MAX_CHARS + 1} characters; at most 1000",
        ),
        (DEFAULT, False, "infer.prompt is set but no template uses {prompt}"),
    ],
    ids=["empty", "blank", "too_long", "unused"],
)
def test_bad_manifest_prompt(tmp_path: Path, infer_prompt: str, argv_prompt: bool, reason: str) -> None:
    path = _broken(tmp_path, infer_prompt, argv_prompt)
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert str(path) in str(info.value)
    assert any(reason in why and field.startswith("infer") for field, why in info.value.problems), (
        info.value.problems
    )


def test_prompt_in_a_config_file_without_default_is_refused(tmp_path: Path) -> None:
    path = _broken(tmp_path, None)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["infer"]["argv"] = [a for a in data["infer"]["argv"] if a not in ("--prompt", "{prompt}")]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ManifestError, match=r"files\[0\] uses \{prompt\}"):
        load_manifest(path)


def test_exactly_max_chars_is_accepted(settings: Settings, tmp_path: Path) -> None:
    image, audio = _inputs(tmp_path)
    longest = "z" * PROMPT_MAX_CHARS
    plan = build_plan(_prompted(), settings, image, audio, prompt=longest)
    assert plan.values["prompt"] == longest


@pytest.mark.parametrize("where", ["text", "path"])
def test_prompt_only_goes_into_yaml_or_json_files(tmp_path: Path, where: str) -> None:
    path = _broken(tmp_path, DEFAULT)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["infer"]["files"] = [
        {"path": "p.txt", "text": "prompt={prompt}\n"}
        if where == "text"
        else {"path": "{prompt}.yaml", "yaml": {}}
    ]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ManifestError, match=r"files\[0\]: \{prompt\} only goes into a yaml or json file"):
        load_manifest(path)


def test_prompt_in_a_json_file_is_quoted(settings: Settings, tmp_path: Path) -> None:
    path = _broken(tmp_path, DEFAULT)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["infer"]["files"] = [{"path": "case.json", "json": {"prompt": "{prompt}", "image": "{image}"}}]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    image, audio = _inputs(tmp_path)
    plan = build_plan(load_manifest(path), settings, image, audio, prompt=NASTY)
    assert json.loads(plan.files[0].content)["prompt"] == NASTY


def test_prompt_is_never_part_of_a_path(tmp_path: Path) -> None:
    path = _broken(tmp_path, DEFAULT)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["infer"]["mkdirs"] = ["{job}/{prompt}"]
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(
        ManifestError, match=r"mkdirs\[0\]: \{prompt\} is text for the model, not part of a path"
    ):
        load_manifest(path)
