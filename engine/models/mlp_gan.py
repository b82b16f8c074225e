"""The original fully connected GAN (Goodfellow et al. 2014) and its conditional form (CGAN, Mirza & Osindero 2014).

Generator: z (concatenated with the class label for a CGAN) → fully connected layers with
LeakyReLU(0.2) (optionally batch norm) → ``C·R·R`` outputs → ``tanh`` → image. Discriminator: the
flattened image (concatenated with the label) → fully connected layers with LeakyReLU(0.2) and
dropout → one logit (the sigmoid lives in the loss). Labels enter as one-hot vectors, or through a
learned embedding when ``embed_dim > 0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class MLPGANConfig:
    """Architecture of a fully connected GAN."""

    resolution: int = 32
    img_channels: int = 1
    z_dim: int = 100
    c_dim: int = 0
    g_hidden: tuple[int, ...] = (256, 512, 1024)
    d_hidden: tuple[int, ...] = (1024, 512, 256)
    g_batchnorm: bool = True
    d_dropout: float = 0.3
    embed_dim: int = 0

    def __post_init__(self) -> None:
        if self.resolution < 4:
            raise ValueError(f"resolution must be at least 4, got {self.resolution}")
        if not self.g_hidden or not self.d_hidden:
            raise ValueError("g_hidden and d_hidden need at least one layer each")
        object.__setattr__(self, "g_hidden", tuple(int(h) for h in self.g_hidden))
        object.__setattr__(self, "d_hidden", tuple(int(h) for h in self.d_hidden))

    @property
    def image_size(self) -> int:
        return self.img_channels * self.resolution * self.resolution

    @property
    def label_size(self) -> int:
        """Width of the label vector fed to both networks (0 when unconditional)."""
        if self.c_dim == 0:
            return 0
        return self.embed_dim if self.embed_dim > 0 else self.c_dim


class LabelInput(nn.Module):
    """One-hot labels → the vector concatenated with the input (identity, or a learned embedding)."""

    def __init__(self, c_dim: int, embed_dim: int) -> None:
        super().__init__()
        self.c_dim = c_dim
        self.embed = nn.Linear(c_dim, embed_dim, bias=False) if embed_dim > 0 else None

    def forward(self, c: torch.Tensor | None, n: int) -> torch.Tensor:
        if c is None or c.shape != (n, self.c_dim):
            got = None if c is None else tuple(c.shape)
            raise ValueError(f"conditional model needs c of shape [{n}, {self.c_dim}], got {got}")
        c = c.float()
        return self.embed(c) if self.embed is not None else c


class MLPGenerator(nn.Module):
    """z [N, z_dim] (+ c [N, c_dim]) → images [N, C, R, R] in [-1, 1]."""

    def __init__(self, cfg: MLPGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.label = LabelInput(cfg.c_dim, cfg.embed_dim) if cfg.c_dim > 0 else None
        sizes = [cfg.z_dim + cfg.label_size, *cfg.g_hidden]
        self.fcs = nn.ModuleList(nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1))
        self.norms = nn.ModuleList(
            nn.BatchNorm1d(h) if cfg.g_batchnorm and i > 0 else nn.Identity() for i, h in enumerate(cfg.g_hidden)
        )
        self.output = nn.Linear(sizes[-1], cfg.image_size)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        cfg = self.cfg
        if z.ndim != 2 or z.shape[1] != cfg.z_dim:
            raise ValueError(f"z must be [N, {cfg.z_dim}], got {tuple(z.shape)}")
        x = z.float()
        if self.label is not None:
            x = torch.cat([x, self.label(c, z.shape[0])], dim=1)
        for fc, norm in zip(self.fcs, self.norms):
            x = F.leaky_relu(norm(fc(x)), 0.2)
        x = torch.tanh(self.output(x))
        return x.reshape(-1, cfg.img_channels, cfg.resolution, cfg.resolution)

    def latent_weight(self) -> torch.Tensor:
        """The first layer's weight over z: [hidden, z_dim] (SeFa)."""
        return self.fcs[0].weight[:, : self.cfg.z_dim]

    def layers(self) -> dict[str, nn.Module]:
        """Inspectable layers by name (hidden layer outputs, for the feature-map viewer)."""
        return {f"fc{i}": norm for i, norm in enumerate(self.norms)}


class MLPDiscriminator(nn.Module):
    """images [N, C, R, R] (+ c) → logits [N]."""

    def __init__(self, cfg: MLPGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.label = LabelInput(cfg.c_dim, cfg.embed_dim) if cfg.c_dim > 0 else None
        sizes = [cfg.image_size + cfg.label_size, *cfg.d_hidden]
        self.fcs = nn.ModuleList(nn.Linear(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1))
        self.dropout = nn.Dropout(cfg.d_dropout)
        self.output = nn.Linear(sizes[-1], 1)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        cfg = self.cfg
        shape = (cfg.img_channels, cfg.resolution, cfg.resolution)
        if x.ndim != 4 or tuple(x.shape[1:]) != shape:
            raise ValueError(f"images must be [N, {', '.join(map(str, shape))}], got {tuple(x.shape)}")
        h = x.flatten(1)
        if self.label is not None:
            h = torch.cat([h, self.label(c, x.shape[0])], dim=1)
        for fc in self.fcs:
            h = self.dropout(F.leaky_relu(fc(h), 0.2))
        return self.output(h)[:, 0]
