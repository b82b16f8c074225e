"""Kernel Inception Distance (Bińkowski et al. 2018): unbiased MMD² with the cubic polynomial kernel
``k(x, y) = (x·y / d + 1)³``, averaged over random subsets (as in their code and clean-fid)."""

from __future__ import annotations

import numpy as np

from engine.metrics.errors import MetricError


def polynomial_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD² between samples ``x`` [m, d] and ``y`` [n, d] (m, n ≥ 2) under the cubic kernel."""
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise MetricError(f"feature shapes do not match: {x.shape} vs {y.shape}")
    m, n, d = x.shape[0], y.shape[0], x.shape[1]
    if m < 2 or n < 2:
        raise MetricError("KID needs at least 2 samples on each side")
    kxx = (x @ x.T / d + 1) ** 3
    kyy = (y @ y.T / d + 1) ** 3
    kxy = (x @ y.T / d + 1) ** 3
    sxx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    syy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(sxx + syy - 2 * kxy.mean())


def kernel_inception_distance(
    real: np.ndarray, fake: np.ndarray, num_subsets: int = 100, max_subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """KID mean and standard deviation over ``num_subsets`` subsets of ``min(N, M, max_subset_size)`` each."""
    if num_subsets < 1:
        raise MetricError("KID needs at least one subset")
    real = np.asarray(real, dtype=np.float64)
    fake = np.asarray(fake, dtype=np.float64)
    m = min(real.shape[0], fake.shape[0], max_subset_size)
    rng = np.random.default_rng(seed)
    values = np.empty(num_subsets)
    for i in range(num_subsets):
        x = fake[rng.choice(fake.shape[0], m, replace=False)]
        y = real[rng.choice(real.shape[0], m, replace=False)]
        values[i] = polynomial_mmd2(x, y)
    return float(values.mean()), float(values.std())
