"""Fréchet Inception Distance between two sets of features (Heusel et al. 2017), as pytorch-fid computes it."""

from __future__ import annotations

import logging
import warnings

import numpy as np
from scipy import linalg

from engine.metrics.errors import MetricError

log = logging.getLogger(__name__)


def fid_min_samples(feature_dim: int) -> int:
    """Images per side that FID needs with ``feature_dim``-d features: ``feature_dim + 1`` (2049 for pool3).

    With fewer, the covariance of each side is singular (rank ≤ N - 1 < D), its matrix square root
    is not defined, and what pytorch-fid or clean-fid print is an artefact of the ``eps`` they add to
    the diagonal (or an "imaginary component" error). The metrics job refuses such a request
    before computing any feature (:func:`check_fid_samples`).
    """
    return int(feature_dim) + 1


def check_fid_samples(
    n_real: int, n_generated: int, feature_dim: int, features: str = "", got: str | None = None
) -> None:
    """Raise :class:`MetricError` (one line, naming the minimum) when either side has too few images for FID.

    ``got`` replaces the default "got N real, M generated" in the message (e.g. "--n is 100")."""
    need = fid_min_samples(feature_dim)
    if min(n_real, n_generated) < need:
        what = f"{features}'s {feature_dim}-d features" if features else f"{feature_dim}-d features"
        got = got or f"got {n_real} real, {n_generated} generated"
        raise MetricError(
            f"FID needs at least {need} images per side with {what} ({got}); with fewer the covariance "
            "is singular and FID is undefined: raise --n or drop fid"
        )


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``[D]`` and unbiased covariance ``[D, D]`` of features ``[N, D]`` (float64, N ≥ 2)."""
    if features.ndim != 2 or features.shape[0] < 2:
        raise MetricError(f"need features [N >= 2, D], got {features.shape}")
    f = np.asarray(features, dtype=np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def _sqrtm(a: np.ndarray) -> np.ndarray:
    # Features with constant (e.g. always-zero ReLU) dimensions make the product singular; scipy then
    # warns, and the result is checked below exactly as pytorch-fid does.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        return linalg.sqrtm(a)


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, eps: float = 1e-6
) -> float:
    """``|mu1 - mu2|² + Tr(S1 + S2 - 2 (S1 S2)^½)``.

    Like pytorch-fid: when the product is singular (its square root is not finite) ``eps`` is added to
    both diagonals; an imaginary part from numerical error is dropped, a large one is an error.
    """
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    s1, s2 = np.atleast_2d(sigma1).astype(np.float64), np.atleast_2d(sigma2).astype(np.float64)
    d = mu1.shape[0]
    if mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise MetricError(f"statistics do not match: mu {mu1.shape}/{mu2.shape}, sigma {s1.shape}/{s2.shape}")
    diff = mu1 - mu2
    covmean = _sqrtm(s1.dot(s2))
    if not np.isfinite(covmean).all():
        log.warning("FID: singular product of covariances; adding %g to the diagonals", eps)
        offset = np.eye(d) * eps
        covmean = _sqrtm((s1 + offset).dot(s2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise MetricError(f"FID: matrix square root has an imaginary component {np.max(np.abs(covmean.imag)):.3g}")
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean))


def fid_from_features(a: np.ndarray, b: np.ndarray) -> float:
    """FID between two feature sets ``[N, D]`` and ``[M, D]``."""
    return frechet_distance(*feature_statistics(a), *feature_statistics(b))
