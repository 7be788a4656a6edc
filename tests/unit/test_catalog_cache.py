"""The cache of the validated catalog (thtui/core/catalog/cache.py): a hit skips validation, any change to a
manifest misses, a broken manifest is still reported with its file and field, a bad cache is only a miss."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from thtui.cli.common import CliError, catalog_from
from thtui.core.catalog import Catalog, ManifestError, loader
from thtui.core.catalog.cache import cache_file
from thtui.core.config import Settings, repo_root

SOLUTIONS = repo_root() / "solutions"
FIXTURES = Path(__file__).parent.parent / "fixtures" / "manifests"


@pytest.fixture
def solutions(tmp_path: Path) -> Path:
    """A solutions directory of two real manifests."""
    out = tmp_path / "solutions"
    for name in ("static", "jawflap"):
        shutil.copytree(SOLUTIONS / name, out / name)
    return out


def no_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, validating a manifest fails the test: only a cache hit can load the catalog."""

    def refuse(path: Path):
        raise AssertionError(f"validated {path} although the cache holds it")

    monkeypatch.setattr(loader, "load_manifest", refuse)


def test_a_second_load_is_read_from_the_cache(
    solutions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    first = Catalog.load(solutions, cache_dir=cache_dir)
    assert cache_file(cache_dir, solutions).is_file()
    no_validation(monkeypatch)
    again = Catalog.load(solutions, cache_dir=cache_dir)
    assert again.names() == first.names() == ["jawflap", "static"]
    for a, b in zip(again, first, strict=True):
        assert (a.solution, a.path, a.digest) == (b.solution, b.path, b.digest)
    assert again.get("jawflap").part_digest("infer") == first.get("jawflap").part_digest("infer")


def test_an_edited_added_or_removed_manifest_misses(solutions: Path, tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    before = Catalog.load(solutions, cache_dir=cache_dir).get("static")
    manifest = solutions / "static" / "solution.yaml"
    text = manifest.read_text()
    title = before.solution.title
    # Same length on purpose: a size-only check would miss this edit.
    manifest.write_text(text.replace(f"title: {title}", f"title: {title[::-1]}", 1))
    edited = Catalog.load(solutions, cache_dir=cache_dir).get("static")
    assert edited.solution.title == title[::-1] and edited.digest != before.digest

    shutil.copytree(FIXTURES / "good_minimal", solutions / "good_minimal")
    assert "good_minimal" in Catalog.load(solutions, cache_dir=cache_dir)
    shutil.rmtree(solutions / "jawflap")
    assert Catalog.load(solutions, cache_dir=cache_dir).names() == ["good_minimal", "static"]


def test_a_manifest_broken_after_caching_is_reported_with_file_and_field(
    solutions: Path, tmp_path: Path
) -> None:
    cache_dir = tmp_path / "cache"
    Catalog.load(solutions, cache_dir=cache_dir)
    cached = cache_file(cache_dir, solutions).read_bytes()
    manifest = solutions / "jawflap" / "solution.yaml"
    manifest.write_text(manifest.read_text() + "\nnot_a_field: 1\n")
    for _ in range(2):  # and again: a failed load writes no cache that could hide the error
        with pytest.raises(ManifestError) as info:
            Catalog.load(solutions, cache_dir=cache_dir)
        assert info.value.path == manifest
        assert ("not_a_field", "unknown field (typo?)") in info.value.problems
        assert str(manifest) in str(info.value)
    assert cache_file(cache_dir, solutions).read_bytes() == cached


def test_a_damaged_or_unwritable_cache_is_only_a_miss(
    solutions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache_dir = tmp_path / "cache"
    Catalog.load(solutions, cache_dir=cache_dir)
    path = cache_file(cache_dir, solutions)
    path.write_bytes(path.read_bytes()[:100])  # truncated
    assert Catalog.load(solutions, cache_dir=cache_dir).names() == ["jawflap", "static"]
    no_validation(monkeypatch)
    assert len(Catalog.load(solutions, cache_dir=cache_dir)) == 2  # rewritten whole: a hit again

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.undo()
    assert len(Catalog.load(solutions, cache_dir=blocker / "cache")) == 2  # cannot write there: no error


def test_catalog_from_caches_under_an_existing_data_root_only(settings: Settings) -> None:
    assert not settings.data_root.exists()
    assert len(catalog_from(settings)) > 10
    assert not settings.data_root.exists()  # a read-only view does not create the data root
    settings.data_root.mkdir(parents=True)
    catalog_from(settings)
    assert cache_file(settings.cache_dir, settings.solutions_dir).is_file()


def test_catalog_from_reports_a_broken_manifest_in_one_line_per_problem(
    settings: Settings, solutions: Path
) -> None:
    settings = dataclasses.replace(settings, solutions_dir=solutions)
    settings.data_root.mkdir(parents=True)
    catalog_from(settings)  # cached
    manifest = solutions / "static" / "solution.yaml"
    manifest.write_text(manifest.read_text().replace("kind: builtin", "kind: 7"))
    with pytest.raises(CliError) as info:
        catalog_from(settings)
    assert str(manifest) in str(info.value) and "kind" in str(info.value)
