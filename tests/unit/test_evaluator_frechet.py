"""The Fréchet distance of the evaluator's FID (thtui/evaluator/frechet.py: numpy only, so it runs here
without torch): zero for one set against itself, the closed form for Gaussians with commuting
covariances, finite and non-negative with fewer samples than dimensions (singular covariances)."""

from __future__ import annotations

import numpy as np
import pytest

from thtui.evaluator import frechet


def test_a_set_against_itself_is_zero() -> None:
    a = np.random.default_rng(0).normal(size=(300, 64))
    assert frechet.fid(a, a) == pytest.approx(0.0, abs=1e-8)


def test_closed_form_for_diagonal_covariances() -> None:
    """For diagonal S1, S2: d² = |mu1-mu2|² + sum (sqrt(s1) - sqrt(s2))²."""
    mu1, mu2 = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s1, s2 = np.diag([1.0, 4.0, 9.0]), np.diag([4.0, 1.0, 0.25])
    expected = 1 + 0 + 4 + (1 - 2) ** 2 + (2 - 1) ** 2 + (3 - 0.5) ** 2
    assert frechet.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-12)


def test_general_covariances_match_the_definition() -> None:
    """tr((S1 S2)^½) from the symmetric form equals the sum of sqrt of the eigenvalues of S1 S2 itself."""
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    s1, s2 = x @ x.T + 0.1 * np.eye(5), y @ y.T + 0.1 * np.eye(5)
    direct = np.sqrt(np.linalg.eigvals(s1 @ s2).real).sum()  # S1 S2 has real non-negative eigenvalues
    assert frechet.trace_sqrt_product(s1, s2) == pytest.approx(direct, rel=1e-9)


def test_fewer_frames_than_dimensions_stays_finite_and_grows_with_a_shift() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(40, 256)), rng.normal(size=(40, 256))
    same_law = frechet.fid(a, b)
    shifted = frechet.fid(a, b + 0.5)
    assert np.isfinite(same_law) and same_law > 0  # two samples of one law still differ (the small-N bias)
    dm = a.mean(0) - b.mean(0)
    # a shift moves only the mean term: the covariance terms are unchanged
    assert shifted == pytest.approx(same_law - dm @ dm + (dm - 0.5) @ (dm - 0.5), rel=1e-9)
    assert shifted > same_law + 50


def test_too_few_vectors_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        frechet.stats(np.zeros((1, 8)))


def test_the_row_form_for_few_frames_equals_the_covariance_form() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(30, 100)), rng.normal(size=(45, 100)) * 1.3 + 0.2
    full = frechet.frechet_distance(*frechet.stats(a), *frechet.stats(b))
    # fid() takes the row form here; the covariance form loses ~1e-8 to sqrt of round-off eigenvalues
    assert frechet.fid(a, b) == pytest.approx(full, rel=1e-7)
    assert frechet.fid_few(a, a) == pytest.approx(0.0, abs=1e-9)
    many = rng.normal(size=(300, 20)), rng.normal(size=(200, 20))
    assert frechet.fid_few(*many) == pytest.approx(
        frechet.frechet_distance(*frechet.stats(many[0]), *frechet.stats(many[1])), rel=1e-9
    )
