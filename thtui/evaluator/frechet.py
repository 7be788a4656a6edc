"""The Fréchet distance of two Gaussians fitted to feature sets (FID on Inception pool3 features):

    d² = |mu1 - mu2|² + tr(S1) + tr(S2) - 2 tr( (S1 S2)^(1/2) )

numpy only (scipy is not in the evaluator env). The trace of the matrix square root is taken without
scipy.linalg.sqrtm: S1 S2 is similar to A S2 A with A = S1^(1/2), and A S2 A is symmetric positive
semi-definite, so tr((S1 S2)^(1/2)) = sum of sqrt(eigenvalues of A S2 A). Both steps use `eigh` on
symmetric matrices in float64, with round-off negatives clipped to 0. This stays real and finite where
sqrtm of the non-symmetric product turns complex or needs pytorch-fid's eps*I retry, which happens when
there are fewer frames than 2048 dimensions (the covariances are then singular).

With fewer frames than dimensions (one clip: a few hundred frames, 2048 dimensions) `fid_few` gets the
same number from the frames' features directly (see there). FID's covariances are unbiased (N - 1), as
numpy.cov and pytorch-fid compute them; FVD's divide by N (`ddof=0`), as StyleGAN-V's FeatureStats does.
"""

from __future__ import annotations

from typing import Any


def rows(blocks: list[Any], dims: int) -> Any:
    """Feature blocks ([n_i, dims] each) as one [sum n_i, dims] array; an empty [0, dims] one for none."""
    import numpy as np

    return np.concatenate(blocks) if blocks else np.zeros((0, dims))


def stats(feats: Any, ddof: int = 1) -> tuple[Any, Any]:
    import numpy as np

    f = np.asarray(feats, dtype=np.float64)
    if f.ndim != 2 or len(f) < 2:
        raise ValueError(f"need at least 2 feature vectors, got shape {f.shape}")
    return f.mean(0), np.cov(f, rowvar=False, ddof=ddof)


def _sqrt_psd(s: Any) -> Any:
    import numpy as np

    w, v = np.linalg.eigh((s + s.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def trace_sqrt_product(s1: Any, s2: Any) -> float:
    """tr((s1 s2)^(1/2)) for symmetric PSD s1, s2."""
    import numpy as np

    a = _sqrt_psd(s1)
    m = a @ s2 @ a
    w = np.linalg.eigvalsh((m + m.T) / 2)
    return float(np.sqrt(np.clip(w, 0, None)).sum())


def frechet_distance(mu1: Any, s1: Any, mu2: Any, s2: Any) -> float:
    import numpy as np

    diff = np.asarray(mu1, np.float64) - np.asarray(mu2, np.float64)
    d = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt_product(s1, s2))
    return 0.0 if d < 0 else d  # round-off can leave -1e-10 for equal sets; a NaN stays NaN (see fid)


def fid_few(generated: Any, reference: Any, ddof: int = 1) -> float:
    """The same distance from the centred feature rows X1 (n1 x D), X2 (n2 x D), for n < D (one clip's
    frames): S1 S2 = X1ᵀX1 X2ᵀX2 / ((n1-1)(n2-1)) has the non-zero eigenvalues of M Mᵀ with M = X1 X2ᵀ /
    sqrt((n1-1)(n2-1)), so tr((S1 S2)^½) is the sum of M's singular values: an n1 x n2 SVD instead of
    two D x D eigen-decompositions (2048² each), and no singular D x D matrix is ever formed. `ddof` 1
    divides the covariances by n - 1, 0 by n."""
    import numpy as np

    x1, x2 = np.asarray(generated, np.float64), np.asarray(reference, np.float64)
    n1, n2 = len(x1), len(x2)
    if n1 < 2 or n2 < 2:
        raise ValueError(f"need at least 2 feature vectors in each set, got {n1} and {n2}")
    mu1, mu2 = x1.mean(0), x2.mean(0)
    c1, c2 = x1 - mu1, x2 - mu2
    k1, k2 = n1 - ddof, n2 - ddof
    cross = np.linalg.svd(c1 @ c2.T, compute_uv=False).sum() / np.sqrt(k1 * k2)
    diff = mu1 - mu2
    d = diff @ diff + (c1 * c1).sum() / k1 + (c2 * c2).sum() / k2 - 2 * cross
    return 0.0 if d < 0 else float(d)


def fid(generated: Any, reference: Any, ddof: int = 1) -> float:
    """The Fréchet distance of two feature sets (N x D arrays): the row form for fewer rows than dimensions,
    else the covariance form. FID with the default `ddof` 1; FVD passes 0 (StyleGAN-V's covariances).
    NaN when the features are not all finite: the evaluator's entry and set_scores turn a non-finite value
    into an absent score ("not a finite number")."""
    import numpy as np

    g, r = np.asarray(generated), np.asarray(reference)
    if not (np.isfinite(g).all() and np.isfinite(r).all()):
        return float(
            "nan"
        )  # NaN/inf features (the SVD would not converge): callers report "not a finite number"
    if g.ndim == 2 and r.ndim == 2 and min(len(g), len(r)) <= g.shape[1]:
        return fid_few(g, r, ddof)
    return frechet_distance(*stats(g, ddof), *stats(r, ddof))
