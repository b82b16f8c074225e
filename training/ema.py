"""The exponential moving average of a generator's weights (the ``G_ema`` most GAN trainers export)."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def ema_update(ema: nn.Module, net: nn.Module, beta: float) -> None:
    """``ema ← beta·ema + (1 − beta)·net`` for every parameter; buffers (w_avg, PGGAN's trained level) are
    copied. ``ema`` must be a copy of ``net`` (same parameters in the same order)."""
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"EMA beta must be in [0, 1], got {beta}")
    ema_params, params = list(ema.parameters()), list(net.parameters())
    if len(ema_params) != len(params):
        raise ValueError(f"the EMA copy has {len(ema_params)} parameters, the network {len(params)}")
    torch._foreach_lerp_(ema_params, [p.detach() for p in params], 1.0 - beta)
    for b_ema, b in zip(ema.buffers(), net.buffers()):
        b_ema.copy_(b)
