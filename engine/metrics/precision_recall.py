"""Improved precision and recall (Kynkäänniemi et al. 2019).

Each set of features spans a manifold: the union of balls around its points whose radius is the
distance to the point's k-th nearest neighbour in the same set (k = 3). Precision is the fraction
of generated samples inside the real manifold; recall the fraction of real samples inside the
generated one.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.metrics.errors import MetricError


def _sq_dists(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    d = (a * a).sum(1, keepdim=True) - 2 * a @ b.T + (b * b).sum(1)[None, :]
    return d.clamp_min_(0)


def knn_radii(features: torch.Tensor, k: int = 3, batch: int = 1024) -> torch.Tensor:
    """Squared distance of each point to its k-th nearest neighbour in the set (itself excluded)."""
    n = features.shape[0]
    if n <= k:
        raise MetricError(f"precision/recall with k={k} needs more than {k} samples, got {n}")
    out = torch.empty(n, dtype=features.dtype)
    for i in range(0, n, batch):
        d = _sq_dists(features[i : i + batch], features)
        # The smallest distance is the point itself (0); the k-th neighbour is at index k.
        out[i : i + batch] = d.topk(k + 1, dim=1, largest=False).values[:, k]
    return out


def coverage_of(manifold: torch.Tensor, radii: torch.Tensor, queries: torch.Tensor, batch: int = 1024) -> float:
    """Fraction of ``queries`` within ``radii`` (squared) of at least one point of ``manifold``."""
    inside = 0
    for i in range(0, queries.shape[0], batch):
        d = _sq_dists(queries[i : i + batch], manifold)
        inside += int((d <= radii[None, :]).any(dim=1).sum())
    return inside / queries.shape[0]


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """``(precision, recall)`` of generated features ``fake`` [M, D] against ``real`` [N, D]."""
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise MetricError(f"feature shapes do not match: {real.shape} vs {fake.shape}")
    r = torch.from_numpy(np.asarray(real, dtype=np.float64))
    f = torch.from_numpy(np.asarray(fake, dtype=np.float64))
    precision = coverage_of(r, knn_radii(r, k), f)
    recall = coverage_of(f, knn_radii(f, k), r)
    return precision, recall
