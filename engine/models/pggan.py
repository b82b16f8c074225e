"""Progressive GAN (Karras et al. 2018): generator and discriminator grown from 4×4 with fade-in.

Both networks are built at full size; a *level* ``k`` selects the sub-network that works at
``4 * 2**k`` pixels. While level ``k`` fades in, ``alpha`` in [0, 1] is the weight of the NEW level:
``out = alpha * toRGB_k(x_k) + (1 - alpha) * up(toRGB_{k-1}(x_{k-1}))`` (and the mirror image in the
discriminator). Alpha 1 means the level is fully in. Layers use equalised learning rate with the He
gain √2 folded into the weight scale (toRGB: gain 1), pixel norm after every generator conv,
nearest-neighbour up-sampling, average-pool down-sampling, and minibatch stddev in the discriminator.

The generator's trained state (highest trained level and its alpha) lives in two buffers, so it is
saved with the weights and restored with them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from engine.models.stylegan2 import normalize_2nd_moment, resolve_channels
from engine.nn.equalized import EqualConv2d, EqualLinear
from engine.nn.stddev import MinibatchStdDev

HE_GAIN = math.sqrt(2.0)


@dataclass(frozen=True)
class PGGANConfig:
    """Architecture of a progressive GAN (generator + discriminator) up to ``resolution``."""

    resolution: int = 64
    img_channels: int = 3
    z_dim: int = 128
    channels: tuple[int, ...] = ()  # generator, per resolution 4..R; empty = from channel_base/max
    channel_base: int = 2048
    channel_max: int = 128
    d_channels: tuple[int, ...] = field(default=())  # per resolution 4..R; empty = same as G
    mbstd_group_size: int = 4
    pixel_norm: bool = True

    def __post_init__(self) -> None:
        resolve_channels(self)

    @property
    def num_levels(self) -> int:
        return len(self.channels)


def level_resolution(level: int) -> int:
    """The image size of level ``level`` (0 → 4×4)."""
    return 4 * 2**level


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="nearest")


class GConv(nn.Module):
    """Equalised 3×3 conv + leaky ReLU 0.2 (+ pixel norm)."""

    def __init__(self, in_ch: int, out_ch: int, pixel_norm: bool) -> None:
        super().__init__()
        self.conv = EqualConv2d(in_ch, out_ch, 3, gain=HE_GAIN)
        self.pixel_norm = pixel_norm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.conv(x), 0.2)
        return normalize_2nd_moment(x) if self.pixel_norm else x


class GBlock(nn.Module):
    """One level above 4×4: nearest up×2, two convs."""

    def __init__(self, in_ch: int, out_ch: int, pixel_norm: bool) -> None:
        super().__init__()
        self.conv0 = GConv(in_ch, out_ch, pixel_norm)
        self.conv1 = GConv(out_ch, out_ch, pixel_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv1(self.conv0(_up(x)))


class Generator(nn.Module):
    """z [N, z_dim] → image at a level (native size, or up-sampled by the caller)."""

    def __init__(self, cfg: PGGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c0 = cfg.channels[0]
        self.fc = EqualLinear(cfg.z_dim, c0 * 16, gain=HE_GAIN)
        self.conv4 = GConv(c0, c0, cfg.pixel_norm)
        self.blocks = nn.ModuleList(
            GBlock(cfg.channels[i - 1], cfg.channels[i], cfg.pixel_norm) for i in range(1, cfg.num_levels)
        )
        self.torgb = nn.ModuleList(EqualConv2d(c, cfg.img_channels, 1) for c in cfg.channels)
        self.register_buffer("trained_level", torch.tensor(cfg.num_levels - 1, dtype=torch.int64))
        self.register_buffer("trained_alpha", torch.tensor(1.0))

    def set_trained(self, level: int, alpha: float) -> None:
        """Record how far training has grown the network."""
        if not 0 <= level < self.cfg.num_levels or not 0.0 <= alpha <= 1.0:
            raise ValueError(f"level must be in 0..{self.cfg.num_levels - 1} and alpha in [0, 1]")
        self.trained_level.fill_(int(level))
        self.trained_alpha.fill_(float(alpha))

    def layer_modules(self) -> dict[str, nn.Module]:
        """Inspectable layers by name (generator convs, each after its activation and pixel norm)."""
        out: dict[str, nn.Module] = {"b4.conv": self.conv4}
        for i, b in enumerate(self.blocks, start=1):
            r = level_resolution(i)
            out[f"b{r}.conv0"] = b.conv0
            out[f"b{r}.conv1"] = b.conv1
        return out

    def forward(self, z: torch.Tensor, level: int | None = None, alpha: float | None = None) -> torch.Tensor:
        """The image at ``level`` (default: the trained one) with fade ``alpha``, at its native size."""
        if z.ndim != 2 or z.shape[1] != self.cfg.z_dim:
            raise ValueError(f"z must be [N, {self.cfg.z_dim}], got {tuple(z.shape)}")
        if level is None:
            level = int(self.trained_level)
            if alpha is None:
                alpha = float(self.trained_alpha)
        level = int(level)
        if not 0 <= level < self.cfg.num_levels:
            raise ValueError(f"level must be in 0..{self.cfg.num_levels - 1}, got {level}")
        alpha = 1.0 if alpha is None else float(alpha)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"alpha must be in [0, 1], got {alpha}")
        x = normalize_2nd_moment(z.float()) if self.cfg.pixel_norm else z.float()
        x = F.leaky_relu(self.fc(x), 0.2).reshape(z.shape[0], -1, 4, 4)
        if self.cfg.pixel_norm:
            x = normalize_2nd_moment(x)
        x = self.conv4(x)
        prev = x
        for i in range(1, level + 1):
            prev = x
            x = self.blocks[i - 1](x)
        img = self.torgb[level](x)
        if level > 0 and alpha < 1.0:
            old = _up(self.torgb[level - 1](prev))
            img = old + (img - old) * alpha
        return img


class DBlock(nn.Module):
    """One level above 4×4: two convs, average-pool down×2."""

    def __init__(self, in_ch: int, out_ch: int) -> None:
        super().__init__()
        self.conv0 = EqualConv2d(in_ch, in_ch, 3, gain=HE_GAIN)
        self.conv1 = EqualConv2d(in_ch, out_ch, 3, gain=HE_GAIN)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.conv0(x), 0.2)
        x = F.leaky_relu(self.conv1(x), 0.2)
        return F.avg_pool2d(x, 2)


class Discriminator(nn.Module):
    """Image at a level → critic score [N, 1]; fromRGB per level, minibatch stddev at 4×4."""

    def __init__(self, cfg: PGGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        ch = cfg.d_channels
        self.fromrgb = nn.ModuleList(EqualConv2d(cfg.img_channels, c, 1, gain=HE_GAIN) for c in ch)
        self.blocks = nn.ModuleList(DBlock(ch[i], ch[i - 1]) for i in range(1, cfg.num_levels))
        self.mbstd = MinibatchStdDev(cfg.mbstd_group_size, 1)
        self.conv = EqualConv2d(ch[0] + 1, ch[0], 3, gain=HE_GAIN)
        self.fc = EqualLinear(ch[0] * 16, ch[0], gain=HE_GAIN)
        self.out = EqualLinear(ch[0], 1)

    def forward(self, img: torch.Tensor, level: int, alpha: float = 1.0) -> torch.Tensor:
        size = level_resolution(level)
        if img.ndim != 4 or img.shape[1:] != (self.cfg.img_channels, size, size):
            raise ValueError(f"level {level} needs images [N, {self.cfg.img_channels}, {size}, {size}]")
        x = F.leaky_relu(self.fromrgb[level](img), 0.2)
        if level > 0:
            x = self.blocks[level - 1](x)
            if alpha < 1.0:
                y = F.leaky_relu(self.fromrgb[level - 1](F.avg_pool2d(img, 2)), 0.2)
                x = y + (x - y) * alpha
        for i in range(level - 1, 0, -1):
            x = self.blocks[i - 1](x)
        x = self.mbstd(x)
        x = F.leaky_relu(self.conv(x), 0.2)
        x = F.leaky_relu(self.fc(x.flatten(1)), 0.2)
        return self.out(x)


__all__ = ["Discriminator", "Generator", "PGGANConfig", "level_resolution"]
