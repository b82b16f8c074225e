"""Latent vector arithmetic: weighted sums of latents (e.g. A − B + C)."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def weighted_sum(latents: Sequence[torch.Tensor], weights: Sequence[float]) -> torch.Tensor:
    """``Σ_i weights[i] · latents[i]`` for latents of one shape (z [N, D] or ws [N, L, D]).

    With weights (1, -1, 1) this is the classic ``A − B + C``.
    """
    if len(latents) == 0:
        raise ValueError("latent arithmetic needs at least one term")
    if len(latents) != len(weights):
        raise ValueError(f"{len(latents)} latents but {len(weights)} weights")
    shape = latents[0].shape
    for x in latents[1:]:
        if x.shape != shape:
            raise ValueError(f"latent arithmetic needs one shape, got {tuple(shape)} and {tuple(x.shape)}")
    out = latents[0] * float(weights[0])
    for x, w in zip(latents[1:], weights[1:]):
        out = out + x * float(w)
    return out
