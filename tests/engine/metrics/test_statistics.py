"""FID, KID, Inception Score and precision/recall on synthetic features with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from engine.metrics.errors import MetricError
from engine.metrics.fid import feature_statistics, fid_from_features, frechet_distance
from engine.metrics.inception_score import inception_score
from engine.metrics.kid import kernel_inception_distance, polynomial_mmd2
from engine.metrics.precision_recall import knn_radii, precision_recall


def _sqrtm_psd(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def _fid_reference(a: np.ndarray, b: np.ndarray) -> float:
    """Independent FID: Tr((S1 S2)^½) = Tr((S1^½ S2 S1^½)^½), both square roots by eigendecomposition."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    r1 = _sqrtm_psd(s1)
    inner = np.linalg.eigvalsh(r1 @ s2 @ r1)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(inner, 0, None)).sum())


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_fid_matches_independent_computation(rng: np.random.Generator) -> None:
    a = rng.normal(size=(400, 8)) @ rng.normal(size=(8, 8))
    b = rng.normal(size=(300, 8)) * 1.5 + 0.3
    assert fid_from_features(a, b) == pytest.approx(_fid_reference(a, b), rel=1e-6)


def test_fid_of_a_set_with_itself_is_zero(rng: np.random.Generator) -> None:
    a = rng.normal(size=(500, 6))
    assert abs(fid_from_features(a, a)) < 1e-6


def test_fid_grows_with_mean_shift(rng: np.random.Generator) -> None:
    a = rng.normal(size=(2000, 4))
    b = rng.normal(size=(2000, 4))
    values = [fid_from_features(a, b + s) for s in (0.0, 0.5, 1.0, 2.0)]
    assert values == sorted(values)
    # For equal covariances FID is |Δmu|² plus a small sampling term: 4 dims shifted by 2 → about 16.
    assert values[-1] == pytest.approx(16.0, rel=0.05)


def test_fid_closed_form_for_known_gaussians() -> None:
    mu1, mu2 = np.zeros(3), np.array([1.0, 2.0, 0.0])
    s1, s2 = np.diag([1.0, 4.0, 9.0]), np.diag([4.0, 1.0, 9.0])
    # diagonal covariances: sum (sqrt(a) - sqrt(b))² = 1 + 1 + 0; |Δmu|² = 5
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(7.0)


def test_fid_handles_singular_covariances(rng: np.random.Generator) -> None:
    a = rng.normal(size=(5, 20))  # 5 samples in 20 dimensions: rank-deficient covariances
    b = rng.normal(size=(5, 20))
    value = fid_from_features(a, b)
    assert np.isfinite(value) and value > 0


def test_fid_rejects_mismatched_statistics() -> None:
    with pytest.raises(MetricError):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(MetricError):
        feature_statistics(np.zeros((1, 3)))


def test_kid_near_zero_for_same_distribution_and_positive_when_shifted(rng: np.random.Generator) -> None:
    a = rng.normal(size=(600, 16))
    b = rng.normal(size=(600, 16))
    same_mean, same_std = kernel_inception_distance(a, b, num_subsets=20, max_subset_size=300)
    shifted_mean, _ = kernel_inception_distance(a, b + 0.5, num_subsets=20, max_subset_size=300)
    assert abs(same_mean) < 3 * same_std + 1e-3
    assert shifted_mean > 10 * max(abs(same_mean), same_std)


def test_kid_estimator_is_unbiased() -> None:
    # Averaged over many independent draws from one distribution, the unbiased MMD² is ~0 (a biased
    # estimator would be clearly positive at this sample size).
    rng = np.random.default_rng(1)
    vals = [polynomial_mmd2(rng.normal(size=(20, 4)), rng.normal(size=(20, 4))) for _ in range(300)]
    biased = [
        (np.mean((x @ x.T / 4 + 1) ** 3) + np.mean((y @ y.T / 4 + 1) ** 3) - 2 * np.mean((x @ y.T / 4 + 1) ** 3))
        for x, y in ((rng.normal(size=(20, 4)), rng.normal(size=(20, 4))) for _ in range(300))
    ]
    assert abs(np.mean(vals)) < 3 * np.std(vals) / np.sqrt(len(vals))
    assert np.mean(biased) > 3 * np.std(biased) / np.sqrt(len(biased))


def test_inception_score_of_confident_uniform_predictions_is_the_class_count() -> None:
    k, n = 7, 700
    logits = np.full((n, k), -50.0)
    logits[np.arange(n), np.arange(n) % k] = 50.0
    mean, std = inception_score(logits, splits=10)
    assert mean == pytest.approx(k, rel=1e-6)
    assert std < 1e-6


def test_inception_score_of_constant_predictions_is_one(rng: np.random.Generator) -> None:
    logits = np.tile(rng.normal(size=(1, 10)), (100, 1))
    mean, _ = inception_score(logits, splits=10)
    assert mean == pytest.approx(1.0, abs=1e-9)


def test_inception_score_rejects_too_few_samples() -> None:
    with pytest.raises(MetricError):
        inception_score(np.zeros((5, 3)), splits=10)


def test_knn_radius_excludes_the_point_itself() -> None:
    x = np.array([[0.0], [1.0], [3.0], [6.0], [10.0]])
    import torch

    r = knn_radii(torch.from_numpy(x), k=2)
    # point 0: neighbours at 1, 3 → 2nd nearest at distance 3 → squared 9
    assert r.tolist() == [9.0, 4.0, 9.0, 16.0, 49.0]


def test_precision_recall_on_synthetic_manifolds(rng: np.random.Generator) -> None:
    real = rng.normal(size=(1000, 2))
    same = rng.normal(size=(1000, 2))
    p, r = precision_recall(real, same)
    assert p > 0.85 and r > 0.85
    far = same + 20.0
    p, r = precision_recall(real, far)
    assert p == 0.0 and r == 0.0
    collapsed = rng.normal(size=(1000, 2)) * 0.1  # mode collapse: inside the real manifold, covers little of it
    p, r = precision_recall(real, collapsed)
    assert p > 0.95 and r < 0.2


def test_precision_recall_rejects_bad_shapes() -> None:
    with pytest.raises(MetricError):
        precision_recall(np.zeros((10, 3)), np.zeros((10, 4)))
    with pytest.raises(MetricError):
        precision_recall(np.zeros((3, 2)), np.zeros((10, 2)))
