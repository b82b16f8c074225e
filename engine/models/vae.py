"""Convolutional variational autoencoder (Kingma & Welling 2014).

Encoder: strided 4×4 convolutions with LeakyReLU(0.2) → a linear layer to (μ, log σ²).
Decoder: a linear layer from z → transposed 4×4 convolutions with ReLU → image logits; the image
is ``sigmoid(logits)`` mapped to [-1, 1]. Sampling uses the reparameterisation trick
``z = μ + σ·ε``. Training minimises a reconstruction loss (binary cross-entropy on [0, 1] pixels,
or mean squared error) plus the KL divergence of q(z|x) from N(0, I) (``training.trainers.vae``).

The module also carries the principal directions of its latent space (PCA of the encoder means
over the training data, filled in by the trainer at export), so an explorer can move along the
directions the data actually varies in; they are zero (unused) until filled.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

RECON_LOSSES = ("bce", "mse")


@dataclass(frozen=True)
class VAEConfig:
    """Architecture of a convolutional VAE.

    ``channels`` are the encoder widths after each stride-2 conv (the decoder mirrors them);
    ``recon`` is the reconstruction loss: ``bce`` (pixels as Bernoulli probabilities in [0, 1]) or
    ``mse``. ``num_directions`` principal directions are stored with the model.
    """

    resolution: int = 32
    img_channels: int = 1
    z_dim: int = 32
    channels: tuple[int, ...] = (32, 64, 128)
    recon: str = "bce"
    num_directions: int = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
        if self.recon not in RECON_LOSSES:
            raise ValueError(f"recon must be one of {RECON_LOSSES}, got {self.recon!r}")
        if not self.channels:
            raise ValueError("channels needs at least one entry")
        if self.resolution % 2 ** len(self.channels):
            raise ValueError(f"resolution {self.resolution} is not divisible by 2^{len(self.channels)}")
        if not 0 <= self.num_directions <= self.z_dim:
            raise ValueError(f"num_directions must be in 0..{self.z_dim}, got {self.num_directions}")

    @property
    def bottom(self) -> int:
        """Spatial size after the encoder's convolutions."""
        return self.resolution // 2 ** len(self.channels)


class VAE(nn.Module):
    """Encoder + decoder; ``forward`` returns (reconstruction logits, μ, log σ²)."""

    def __init__(self, cfg: VAEConfig) -> None:
        super().__init__()
        self.cfg = cfg
        ch = cfg.channels
        s = cfg.bottom
        enc = []
        prev = cfg.img_channels
        for c in ch:
            enc.append(nn.Conv2d(prev, c, 4, 2, 1))
            prev = c
        self.enc = nn.ModuleList(enc)
        self.to_stats = nn.Linear(ch[-1] * s * s, 2 * cfg.z_dim)
        self.from_z = nn.Linear(cfg.z_dim, ch[-1] * s * s)
        dec = []
        widths = list(reversed(ch)) + [cfg.img_channels]
        for i in range(len(ch)):
            dec.append(nn.ConvTranspose2d(widths[i], widths[i + 1], 4, 2, 1))
        self.dec = nn.ModuleList(dec)
        k = cfg.num_directions
        self.register_buffer("pca_mean", torch.zeros(cfg.z_dim))
        self.register_buffer("pca_components", torch.zeros(k, cfg.z_dim))
        self.register_buffer("pca_std", torch.zeros(k))

    def _check_image(self, x: torch.Tensor) -> None:
        cfg = self.cfg
        shape = (cfg.img_channels, cfg.resolution, cfg.resolution)
        if x.ndim != 4 or tuple(x.shape[1:]) != shape:
            raise ValueError(f"images must be [N, {', '.join(map(str, shape))}], got {tuple(x.shape)}")

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """images in [-1, 1] → (μ, log σ²), each [N, z_dim]."""
        self._check_image(x)
        h = x.float()
        for conv in self.enc:
            h = F.leaky_relu(conv(h), 0.2)
        mu, logvar = self.to_stats(h.flatten(1)).chunk(2, dim=1)
        return mu, logvar

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """z [N, z_dim] → image logits [N, C, R, R] (pixel probability = sigmoid)."""
        cfg = self.cfg
        if z.ndim != 2 or z.shape[1] != cfg.z_dim:
            raise ValueError(f"z must be [N, {cfg.z_dim}], got {tuple(z.shape)}")
        h = F.relu(self.from_z(z.float())).reshape(-1, cfg.channels[-1], cfg.bottom, cfg.bottom)
        for i, deconv in enumerate(self.dec):
            h = deconv(h)
            if i < len(self.dec) - 1:
                h = F.relu(h)
        return h

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z → images in [-1, 1]."""
        return torch.sigmoid(self.decode_logits(z)) * 2 - 1

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None):
        mu, logvar = self.encode(x)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + eps * (0.5 * logvar).exp()
        return self.decode_logits(z), mu, logvar

    def layers(self) -> dict[str, nn.Module]:
        """Inspectable decoder layers by name (for the feature-map viewer)."""
        s = self.cfg.bottom
        return {f"dec{s * 2 ** (i + 1)}": d for i, d in enumerate(self.dec[:-1])}


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(μ, σ²) ‖ N(0, I)) summed over latent dims, per sample: ``-½ Σ (1 + log σ² − μ² − σ²)``."""
    return -0.5 * (1 + logvar - mu.square() - logvar.exp()).sum(dim=1)


def reconstruction_loss(logits: torch.Tensor, target: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-sample reconstruction loss summed over pixels; ``target`` in [-1, 1] (mapped to [0, 1])."""
    t = (target + 1) / 2
    if kind == "bce":
        loss = F.binary_cross_entropy_with_logits(logits, t, reduction="none")
    elif kind == "mse":
        loss = (torch.sigmoid(logits) - t).square()
    else:
        raise ValueError(f"recon must be one of {RECON_LOSSES}, got {kind!r}")
    return loss.flatten(1).sum(dim=1)
