"""The evaluator manifest's LPIPS and FID weights: pinned (sha256 and size where known, else a minimum
size plus the loader's sha256-prefix check), optional (a failed download leaves only those scores
absent), and named as the evaluator loads them."""

from __future__ import annotations

from pathlib import Path

from thtui.core.config import repo_root
from thtui.core.scores.paper_target import load_evaluator_manifest
from thtui.evaluator import fid_inception, lpips_alex

REAL = repo_root() / "solutions" / "evaluator" / "evaluator.yaml"


def test_lpips_and_fid_weights_are_pinned_optional_and_named_as_loaded() -> None:
    weights = {Path(w.dest).name: w for w in load_evaluator_manifest(REAL).weights}
    lin = weights[lpips_alex.LIN_FILE]
    assert (lin.size, lin.sha256) == (
        6009,
        "df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
    )
    inception = weights[fid_inception.FILE]
    assert inception.size == 95628359 and inception.sha256.startswith("6726825d")  # the name's prefix
    alex = weights[lpips_alex.ALEXNET_FILE]
    assert alex.sha256 is None and alex.min_size == 244_000_000
    assert lpips_alex.ALEXNET_SHA256_PREFIX in alex.note and "no full sha256" in alex.note.lower()
    assert all(w.optional for w in (lin, inception, alex))
