"""StarGAN (Choi et al. 2018): one generator for many domains, conditioned on target-label maps.

Module layout and tensor names follow yunjey/stargan's ``Generator``/``Discriminator`` (``main.N``,
``conv1``/``conv2``), so its ``*-G.ckpt`` state dicts load unchanged. The target labels [N, c_dim]
(several attributes may be set at once) are tiled to H×W and concatenated after the image
channels. Every norm is an affine instance norm with running statistics; at inference the
generator uses per-image statistics (StarGAN's own test behaviour) unless ``norm_stats="running"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from engine.models.translation_nn import StatInstanceNorm2d, check_image

NORM_STATS = ("instance", "running")


@dataclass(frozen=True)
class StarGANConfig:
    """StarGAN generator (conv_dim, repeat_num residual blocks) and discriminator (d_repeat_num levels)."""

    resolution: int = 128
    img_channels: int = 3
    c_dim: int = 5
    conv_dim: int = 64
    repeat_num: int = 6
    norm_stats: str = "instance"
    d_conv_dim: int = 64
    d_repeat_num: int = 6

    def __post_init__(self) -> None:
        if self.c_dim < 1:
            raise ValueError(f"c_dim must be at least 1, got {self.c_dim}")
        if self.norm_stats not in NORM_STATS:
            raise ValueError(f"norm_stats must be one of {NORM_STATS}, got {self.norm_stats!r}")
        if self.resolution % 4:
            raise ValueError(f"resolution must be divisible by 4, got {self.resolution}")
        if self.resolution % (2**self.d_repeat_num):
            raise ValueError(f"resolution {self.resolution} is not divisible by 2**d_repeat_num")


class ResidualBlock(nn.Module):
    """x + (conv3×3, IN, ReLU, conv3×3, IN)(x)."""

    def __init__(self, dim: int, running: bool) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(dim, dim, 3, 1, 1, bias=False),
            _norm(dim, running),
            nn.ReLU(),
            nn.Conv2d(dim, dim, 3, 1, 1, bias=False),
            _norm(dim, running),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.main(x)


def _norm(dim: int, running: bool) -> StatInstanceNorm2d:
    n = StatInstanceNorm2d(dim)
    n.use_running = running
    return n


class StarGANGenerator(nn.Module):
    """(images [N, C, H, W], labels [N, c_dim]) → images [N, C, H, W] (tanh); H, W divisible by 4."""

    def __init__(self, cfg: StarGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        run = cfg.norm_stats == "running"
        d = cfg.conv_dim
        layers: list[nn.Module] = [nn.Conv2d(cfg.img_channels + cfg.c_dim, d, 7, 1, 3, bias=False), _norm(d, run)]
        layers.append(nn.ReLU())
        for _ in range(2):
            layers += [nn.Conv2d(d, d * 2, 4, 2, 1, bias=False), _norm(d * 2, run), nn.ReLU()]
            d *= 2
        layers += [ResidualBlock(d, run) for _ in range(cfg.repeat_num)]
        for _ in range(2):
            layers += [nn.ConvTranspose2d(d, d // 2, 4, 2, 1, bias=False), _norm(d // 2, run), nn.ReLU()]
            d //= 2
        layers += [nn.Conv2d(d, cfg.img_channels, 7, 1, 3, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        check_image(x, self.cfg.img_channels, 4, "StarGAN generator")
        if c.ndim != 2 or c.shape != (x.shape[0], self.cfg.c_dim):
            raise ValueError(f"labels must be [{x.shape[0]}, {self.cfg.c_dim}], got {tuple(c.shape)}")
        maps = c.to(x.dtype)[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        return self.main(torch.cat([x, maps], dim=1))


class StarGANDiscriminator(nn.Module):
    """images [N, C, R, R] → (real/fake patch logits [N, 1, R/2^k, R/2^k], domain logits [N, c_dim])."""

    def __init__(self, cfg: StarGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.d_conv_dim
        layers: list[nn.Module] = [nn.Conv2d(cfg.img_channels, d, 4, 2, 1), nn.LeakyReLU(0.01)]
        for _ in range(1, cfg.d_repeat_num):
            layers += [nn.Conv2d(d, d * 2, 4, 2, 1), nn.LeakyReLU(0.01)]
            d *= 2
        self.main = nn.Sequential(*layers)
        k = cfg.resolution // 2**cfg.d_repeat_num
        self.conv1 = nn.Conv2d(d, 1, 3, 1, 1, bias=False)
        self.conv2 = nn.Conv2d(d, cfg.c_dim, k, bias=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r = self.cfg.resolution
        if x.ndim != 4 or x.shape[1:] != (self.cfg.img_channels, r, r):
            raise ValueError(
                f"StarGAN discriminator expects [N, {self.cfg.img_channels}, {r}, {r}], got {tuple(x.shape)}"
            )
        h = self.main(x)
        return self.conv1(h), self.conv2(h).flatten(1)
