"""Inception Score (Salimans et al. 2016): ``exp E_x KL(p(y|x) || p(y))``, mean ± std over splits.

As the original code and torch-fidelity compute it: float64 softmax of the logits (for Inception the
bias-free ones, :meth:`engine.metrics.inception.FIDInceptionV3.logits_unbiased`), split ``i`` holds
rows ``i·N // splits`` to ``(i+1)·N // splits``, and the std is the population std over splits.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_softmax

from engine.metrics.errors import MetricError


def inception_score(logits: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """IS of class logits ``[N, K]`` (``N >= splits``): the mean and std of the score of each split
    (in row order; torch-fidelity's ``samples_shuffle=False``)."""
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise MetricError(f"need logits [N, K >= 2], got {logits.shape}")
    n = logits.shape[0]
    if splits < 1 or n < splits:
        raise MetricError(f"Inception Score needs at least {splits} samples for {splits} splits, got {n}")
    logp = log_softmax(np.asarray(logits, dtype=np.float64), axis=1)
    scores = []
    for i in range(splits):
        part = logp[i * n // splits : (i + 1) * n // splits]
        p = np.exp(part)
        log_py = np.log(p.mean(axis=0) + 1e-300)
        kl = (p * (part - log_py)).sum(axis=1)
        scores.append(float(np.exp(kl.mean())))
    return float(np.mean(scores)), float(np.std(scores))
