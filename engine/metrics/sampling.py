"""Generated images for evaluation: batches from a model, seeds ``seed .. seed+n-1``.

Conditional models get their classes uniformly, round-robin (sample i has class i mod K), so every
class appears ⌊n/K⌋ or ⌈n/K⌉ times.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from engine.families import LoadedModel
from engine.metrics.errors import MetricError


def class_schedule(n: int, num_classes: int, start: int = 0) -> list[int]:
    """Class index of samples ``start .. start+n-1`` (round-robin over ``num_classes``)."""
    if num_classes <= 0:
        raise MetricError("a class schedule needs at least one class")
    return [(start + i) % num_classes for i in range(n)]


def model_batches(model: LoadedModel, n: int, batch: int = 64, seed: int = 0) -> Iterator[torch.Tensor]:
    """Yield ``n`` generated images in [-1, 1] (NCHW, on the model's device) in batches of ``batch``."""
    caps = model.capabilities
    if caps.z_dim <= 0:
        raise MetricError(f"{model.family} models do not generate from noise; metrics need a generator")
    if n < 1 or batch < 1:
        raise MetricError(f"need n >= 1 and batch >= 1, got n={n}, batch={batch}")
    k = len(caps.classes)
    with torch.inference_mode():
        for i in range(0, n, batch):
            m = min(batch, n - i)
            z = model.sample_z(range(seed + i, seed + i + m))
            c = model.one_hot(class_schedule(m, k, i), m) if k else None
            images = model.generate(z, c)
            if images.ndim != 4 or images.shape[0] != m:
                raise MetricError(f"{model.family} generated {tuple(images.shape)} for a batch of {m}")
            yield images.clamp(-1, 1)
