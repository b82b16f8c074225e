"""CycleGAN (Zhu et al. 2017) ResNet generator: reflection padding, instance norm, residual blocks.

Module layout and tensor names follow pytorch-CycleGAN-and-pix2pix's ``ResnetGenerator``
(``model.1`` = first 7×7 conv, ``model.{k}.conv_block.{1,5}`` = residual blocks, …), so its
``latest_net_G_A.pth`` / ``latest_net_G_B.pth`` load unchanged. A CycleGAN model holds one
generator per direction it knows (``AtoB``: G_A, ``BtoA``: G_B).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from engine.models.translation_nn import NORMS, check_image, conv_bias, init_normal, norm_layer

DIRECTIONS = ("AtoB", "BtoA")


@dataclass(frozen=True)
class CycleGANConfig:
    """ResNet generators for the listed ``directions`` (and PatchGAN discriminators for training).

    ``n_blocks`` is 9 for 256² (``resnet_9blocks``) or 6 for 128² (``resnet_6blocks``); the
    resolution must be divisible by 2**n_downsampling.
    """

    resolution: int = 256
    img_channels: int = 3
    ngf: int = 64
    n_blocks: int = 9
    n_downsampling: int = 2
    norm: str = "instance"
    dropout: bool = False
    directions: tuple[str, ...] = DIRECTIONS
    ndf: int = 64
    d_layers: int = 3

    def __post_init__(self) -> None:
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {self.norm!r}")
        if not self.directions or any(d not in DIRECTIONS for d in self.directions):
            raise ValueError(f"directions must be a non-empty subset of {DIRECTIONS}, got {self.directions}")
        if len(set(self.directions)) != len(self.directions):
            raise ValueError(f"repeated direction in {self.directions}")
        if self.n_blocks < 0 or self.n_downsampling < 0 or self.ngf < 1:
            raise ValueError("n_blocks and n_downsampling must be ≥ 0, ngf ≥ 1")
        if self.resolution % (2**self.n_downsampling):
            raise ValueError(f"resolution {self.resolution} is not divisible by {2**self.n_downsampling}")


class ResnetBlock(nn.Module):
    """x + conv_block(x), conv_block = pad, conv3×3, norm, ReLU, [dropout], pad, conv3×3, norm."""

    def __init__(self, dim: int, norm: str, dropout: bool) -> None:
        super().__init__()
        bias = conv_bias(norm)
        layers: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), norm_layer(norm, dim)]
        layers.append(nn.ReLU())
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), norm_layer(norm, dim)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """images [N, C, H, W] in [-1, 1] → images [N, C, H, W] (tanh); H, W divisible by 2**n_downsampling."""

    def __init__(self, cfg: CycleGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        ngf, norm, bias = cfg.ngf, cfg.norm, conv_bias(cfg.norm)
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(cfg.img_channels, ngf, 7, bias=bias)]
        layers += [norm_layer(norm, ngf), nn.ReLU()]
        for i in range(cfg.n_downsampling):
            m = 2**i
            layers += [nn.Conv2d(ngf * m, ngf * m * 2, 3, 2, 1, bias=bias), norm_layer(norm, ngf * m * 2), nn.ReLU()]
        m = 2**cfg.n_downsampling
        layers += [ResnetBlock(ngf * m, norm, cfg.dropout) for _ in range(cfg.n_blocks)]
        for i in range(cfg.n_downsampling):
            m = 2 ** (cfg.n_downsampling - i)
            layers.append(nn.ConvTranspose2d(ngf * m, ngf * m // 2, 3, 2, 1, output_padding=1, bias=bias))
            layers += [norm_layer(norm, ngf * m // 2), nn.ReLU()]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, cfg.img_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        init_normal(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image(x, self.cfg.img_channels, 2**self.cfg.n_downsampling, "ResNet generator")
        return self.model(x)


class CycleGANGenerators(nn.Module):
    """One :class:`ResnetGenerator` per direction, in ``generators[direction]``."""

    def __init__(self, cfg: CycleGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.generators = nn.ModuleDict({d: ResnetGenerator(cfg) for d in cfg.directions})

    def forward(self, x: torch.Tensor, direction: str) -> torch.Tensor:
        if direction not in self.generators:
            raise ValueError(f"unknown direction {direction!r} (this model has {', '.join(self.cfg.directions)})")
        return self.generators[direction](x)
