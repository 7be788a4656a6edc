"""The solution catalog: one validated manifest per talking-head system."""

from thtui.core.catalog.loader import Catalog, CatalogError, LoadedSolution, ManifestError, load_manifest
from thtui.core.catalog.schema import PLACEHOLDERS, Solution

__all__ = [
    "Catalog",
    "CatalogError",
    "LoadedSolution",
    "ManifestError",
    "PLACEHOLDERS",
    "Solution",
    "load_manifest",
]
