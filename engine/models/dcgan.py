"""DCGAN (Radford et al. 2016): transposed-convolution generator and strided-convolution discriminator.

The generator maps z (plus a one-hot class, for conditional models) through a 4×4 transposed
convolution, then doubles the resolution per block (transposed conv 4×4 stride 2 → norm → ReLU),
and ends with a transposed conv to the image channels and ``tanh``. The discriminator mirrors it
with strided 4×4 convolutions and LeakyReLU(0.2), no norm on its first layer, and a 4×4 valid
conv to one logit. Class labels enter the discriminator as constant label maps (one channel per
class) concatenated with the image.

The same architecture serves DCGAN, conditional DCGAN, WGAN-CP and WGAN-GP: the losses are a
training choice (``training.trainers.gan``). WGAN-GP's critic uses ``d_norm="none"`` or
``"layer"``, because batch norm breaks the per-sample gradient penalty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

NORMS = ("batch", "none", "layer", "instance")
BN_STATS = ("running", "batch")
ACTIVATIONS = ("tanh", "none")


@dataclass(frozen=True)
class DCGANConfig:
    """Architecture of a DCGAN generator and discriminator.

    - ``ngf``/``ndf``: channels of the generator's last hidden block / the discriminator's first
      block; each resolution step toward 4×4 doubles them (capped at ``max_channels``).
    - ``g_norm``/``d_norm``: ``batch`` (the paper), ``none``, ``layer`` or ``instance``.
    - ``bn_stats``: which batch-norm statistics the generator uses at inference: ``running`` (eval
      mode, deterministic per sample) or ``batch`` (the statistics of the batch being generated, as
      GAN zoo's ``test()`` path does because it never calls ``eval()``).
    - ``out_activation``: ``tanh`` (images in [-1, 1]) or ``none`` (GAN zoo's WGAN-GP generators).
    """

    resolution: int = 32
    img_channels: int = 1
    z_dim: int = 100
    c_dim: int = 0
    ngf: int = 64
    ndf: int = 64
    max_channels: int = 512
    g_norm: str = "batch"
    d_norm: str = "batch"
    bn_stats: str = "running"
    out_activation: str = "tanh"

    def __post_init__(self) -> None:
        r = self.resolution
        if r < 8 or r & (r - 1):
            raise ValueError(f"DCGAN resolution must be a power of two ≥ 8, got {r}")
        if self.g_norm not in NORMS or self.d_norm not in NORMS:
            raise ValueError(f"norms must be one of {NORMS}, got g_norm={self.g_norm!r} d_norm={self.d_norm!r}")
        if self.bn_stats not in BN_STATS:
            raise ValueError(f"bn_stats must be one of {BN_STATS}, got {self.bn_stats!r}")
        if self.out_activation not in ACTIVATIONS:
            raise ValueError(f"out_activation must be one of {ACTIVATIONS}, got {self.out_activation!r}")

    @property
    def depth(self) -> int:
        """Hidden up-sampling blocks between the 4×4 input block and the output layer."""
        return int(math.log2(self.resolution)) - 3

    def g_channels(self) -> list[int]:
        """Generator channels at 4×4, 8×8, …, R/2 (the output layer maps the last to the image)."""
        return [min(self.ngf * 2 ** (self.depth - i), self.max_channels) for i in range(self.depth + 1)]

    def d_channels(self) -> list[int]:
        """Discriminator channels at R/2, R/4, …, 4×4."""
        return [min(self.ndf * 2**i, self.max_channels) for i in range(self.depth + 1)]


def make_norm(kind: str, channels: int) -> nn.Module:
    """A 2-D normalisation layer of ``kind`` (identity for ``none``)."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=True)
    if kind == "layer":
        return nn.GroupNorm(1, channels)
    return nn.Identity()


class GenBatchNorm(nn.BatchNorm2d):
    """Batch norm whose inference statistics are a choice: running averages or the current batch."""

    use_batch_stats: bool = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training and self.use_batch_stats:
            return F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)
        return super().forward(x)


def _gen_norm(kind: str, channels: int, batch_stats: bool) -> nn.Module:
    if kind == "batch":
        bn = GenBatchNorm(channels)
        bn.use_batch_stats = batch_stats
        return bn
    return make_norm(kind, channels)


class DCGANGenerator(nn.Module):
    """z [N, z_dim] (+ one-hot c [N, c_dim]) → images [N, C, R, R]."""

    def __init__(self, cfg: DCGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        ch = cfg.g_channels()
        batch_stats = cfg.bn_stats == "batch"
        self.input = nn.ConvTranspose2d(cfg.z_dim + cfg.c_dim, ch[0], 4, 1, 0, bias=cfg.g_norm != "batch")
        self.input_norm = _gen_norm(cfg.g_norm, ch[0], batch_stats)
        self.ups = nn.ModuleList()
        self.norms = nn.ModuleList()
        for i in range(cfg.depth):
            self.ups.append(nn.ConvTranspose2d(ch[i], ch[i + 1], 4, 2, 1, bias=cfg.g_norm != "batch"))
            self.norms.append(_gen_norm(cfg.g_norm, ch[i + 1], batch_stats))
        self.output = nn.ConvTranspose2d(ch[-1], cfg.img_channels, 4, 2, 1, bias=cfg.g_norm != "batch")
        init_dcgan(self)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        cfg = self.cfg
        if z.ndim != 2 or z.shape[1] != cfg.z_dim:
            raise ValueError(f"z must be [N, {cfg.z_dim}], got {tuple(z.shape)}")
        x = z
        if cfg.c_dim > 0:
            if c is None or c.shape != (z.shape[0], cfg.c_dim):
                raise ValueError(f"conditional DCGAN needs c of shape [{z.shape[0]}, {cfg.c_dim}]")
            x = torch.cat([x, c.to(x.dtype)], dim=1)
        x = F.relu(self.input_norm(self.input(x[:, :, None, None])))
        for up, norm in zip(self.ups, self.norms):
            x = F.relu(norm(up(x)))
        x = self.output(x)
        return torch.tanh(x) if cfg.out_activation == "tanh" else x

    def latent_weight(self) -> torch.Tensor:
        """The 4×4 input layer's weight over z as a matrix [C·16, z_dim] (SeFa)."""
        return self.input.weight[: self.cfg.z_dim].flatten(1).T

    def layers(self) -> dict[str, nn.Module]:
        """Inspectable layers by name (for the feature-map viewer): ``4x4``, ``8x8``, … (after the norm)."""
        out: dict[str, nn.Module] = {"4x4": self.input_norm}
        for i, norm in enumerate(self.norms):
            out[f"{8 * 2**i}x{8 * 2**i}"] = norm
        return out


class DCGANDiscriminator(nn.Module):
    """images [N, C, R, R] (+ one-hot c as label maps) → logits [N]."""

    def __init__(self, cfg: DCGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        ch = cfg.d_channels()
        self.input = nn.Conv2d(cfg.img_channels + cfg.c_dim, ch[0], 4, 2, 1, bias=True)
        self.downs = nn.ModuleList()
        self.norms = nn.ModuleList()
        for i in range(cfg.depth):
            self.downs.append(nn.Conv2d(ch[i], ch[i + 1], 4, 2, 1, bias=cfg.d_norm != "batch"))
            self.norms.append(make_norm(cfg.d_norm, ch[i + 1]))
        self.output = nn.Conv2d(ch[-1], 1, 4, 1, 0, bias=True)
        init_dcgan(self)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        cfg = self.cfg
        r = cfg.resolution
        if x.ndim != 4 or x.shape[1:] != (cfg.img_channels, r, r):
            raise ValueError(f"images must be [N, {cfg.img_channels}, {r}, {r}], got {tuple(x.shape)}")
        if cfg.c_dim > 0:
            if c is None or c.shape != (x.shape[0], cfg.c_dim):
                raise ValueError(f"conditional discriminator needs c of shape [{x.shape[0]}, {cfg.c_dim}]")
            maps = c.to(x.dtype)[:, :, None, None].expand(-1, -1, r, r)
            x = torch.cat([x, maps], dim=1)
        x = F.leaky_relu(self.input(x), 0.2)
        for down, norm in zip(self.downs, self.norms):
            x = F.leaky_relu(norm(down(x)), 0.2)
        return self.output(x).flatten(1)[:, 0]


def init_dcgan(module: nn.Module) -> None:
    """The paper's initialisation: conv weights ~ N(0, 0.02), norm gains ~ N(1, 0.02), biases 0."""
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d | nn.GroupNorm | nn.InstanceNorm2d) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
