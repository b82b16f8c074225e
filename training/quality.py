"""Cheap sample-quality measures that need no feature network (FID comes with engine.metrics).

- ``nn_l2``: mean distance from each sample to its nearest training image (pixel RMS, [0, 1] scale):
  lower means samples look like data; near 0 means memorisation.
- ``diversity_ratio``: mean pairwise distance among samples / among real images: about 1 for a model
  that covers the data's variety, near 0 for mode collapse.
"""

from __future__ import annotations

import torch

from engine.families import LoadedModel
from training.data import ImageDataset


def _rms(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    a = a.flatten(1)
    b = b.flatten(1)
    d = (a.square().sum(1, keepdim=True) - 2 * a @ b.T + b.square().sum(1)[None]).clamp_min(0)
    return (d / a.shape[1]).sqrt()


def sample_quality(model: LoadedModel, data: ImageDataset, n: int = 256, seed: int = 123) -> dict[str, float]:
    """Nearest-neighbour distance to the data and diversity relative to the data, on ``n`` samples."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        seeds = list(range(10_000, 10_000 + n))
        z = model.sample_z(seeds)
        c = model.one_hot([s % max(1, len(model.capabilities.classes)) for s in seeds], n)
        fake = torch.cat([model.generate(z[i : i + 64], None if c is None else c[i : i + 64]) for i in range(0, n, 64)])
        fake = (fake.clamp(-1, 1) + 1) / 2
        real_all = data.images.float() / 255
        idx = torch.randperm(len(real_all), generator=g)[:n]
        real = real_all[idx]
        nn_fake = _rms(fake, real_all).min(dim=1).values.mean()
        nn_real = _rms(real, real_all).topk(2, largest=False).values[:, 1].mean()  # excluding itself
        div_fake = _rms(fake, fake).sum() / (n * (n - 1))
        div_real = _rms(real, real).sum() / (n * (n - 1))
    return {
        "samples": n,
        "nn_l2_samples_to_data": round(float(nn_fake), 4),
        "nn_l2_real_to_data": round(float(nn_real), 4),
        "diversity_ratio": round(float(div_fake / div_real), 4),
        "note": "pixel-space measures (training/quality.py); FID and friends are under metrics",
    }
