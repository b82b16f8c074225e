"""The StyleGAN2 residual discriminator conditioned as NVlabs' stylegan2-ada / stylegan3 do it.

Unconditional, it is :class:`engine.models.stylegan2.Discriminator` unchanged. Conditional, the
label is not a single linear embedding but a small mapping network (embed, normalise, ``layers``
fully connected lrelu layers at learning-rate multiplier 0.01) whose output ``cmap`` is projected
onto D's final features: ``sum(out · cmap) / sqrt(cmap_dim)``. This is the discriminator that
NVlabs pickles hold, so a StyleGAN3 run fine-tuned from one can start from its discriminator too.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from engine.models.stylegan2 import Discriminator, StyleGAN2Config, normalize_2nd_moment
from engine.nn.equalized import EqualLinear


class LabelMapping(nn.Module):
    """One-hot label [N, c_dim] → cmap [N, cmap_dim]: embed, normalise, ``layers`` × (fc + lrelu)."""

    def __init__(self, c_dim: int, cmap_dim: int, layers: int = 8, lr_mul: float = 0.01) -> None:
        super().__init__()
        self.c_dim = c_dim
        self.embed = EqualLinear(c_dim, cmap_dim)
        self.fcs = nn.ModuleList(
            EqualLinear(cmap_dim, cmap_dim, lr_mul=lr_mul, activation="lrelu") for _ in range(layers)
        )

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        x = normalize_2nd_moment(self.embed(c.float()))
        for fc in self.fcs:
            x = fc(x)
        return x


class LabelMappingDiscriminator(Discriminator):
    """:class:`Discriminator` whose conditioning goes through a :class:`LabelMapping` (NVlabs' layout)."""

    def __init__(self, cfg: StyleGAN2Config, mapping_layers: int = 8) -> None:
        super().__init__(cfg)
        self.c_dim = cfg.c_dim
        self.embed = None
        self.mapping = LabelMapping(cfg.c_dim, self.cmap_dim, mapping_layers) if cfg.c_dim > 0 else None

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        x = None
        for block in self.blocks:
            x = block(x, img)
        x = self.mbstd(x)
        x = self.conv(x)
        x = self.fc(x.flatten(1))
        x = self.out(x)
        if self.mapping is not None:
            if c is None or c.shape != (img.shape[0], self.c_dim):
                raise ValueError(f"a conditional discriminator needs c of shape [N, {self.c_dim}]")
            x = (x * self.mapping(c)).sum(dim=1, keepdim=True) / math.sqrt(self.cmap_dim)
        return x


__all__ = ["LabelMapping", "LabelMappingDiscriminator"]
