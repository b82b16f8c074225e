"""pix2pix (Isola et al. 2017): U-Net generator with skip connections, and the PatchGAN discriminator.

Module layout and tensor names follow pytorch-CycleGAN-and-pix2pix exactly (nested
``UnetSkipConnectionBlock``s, ``NLayerDiscriminator``), so its ``latest_net_G.pth`` state dicts
load unchanged. The U-Net halves the resolution ``num_downs`` times (8 for 256², 7 for 128², 6 for
64²); channels go ngf, 2ngf, 4ngf, then 8ngf for every further level. Dropout(0.5) follows the
up-sampling of the ``num_downs - 5`` innermost 8ngf levels except the innermost, as in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from engine.models.translation_nn import NORMS, check_image, conv_bias, init_normal, norm_layer


@dataclass(frozen=True)
class Pix2PixConfig:
    """A pix2pix U-Net generator (and its PatchGAN discriminator for training).

    ``resolution`` must be divisible by 2**num_downs; ``norm`` is batch (the paper), instance or none.
    """

    resolution: int = 256
    img_channels: int = 3
    in_channels: int = field(default=0, metadata={"zero_means": "img_channels"})  # 0: as many as it makes
    num_downs: int = 8
    ngf: int = 64
    norm: str = "batch"
    dropout: bool = True
    ndf: int = 64
    d_layers: int = 3

    def __post_init__(self) -> None:
        if self.num_downs < 5:
            raise ValueError(f"num_downs must be at least 5, got {self.num_downs}")
        if self.resolution % (2**self.num_downs):
            raise ValueError(f"resolution {self.resolution} is not divisible by 2**num_downs ({2**self.num_downs})")
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {self.norm!r}")
        if self.ngf < 1 or self.ndf < 1 or self.d_layers < 1:
            raise ValueError("ngf, ndf and d_layers must be positive")

    @property
    def input_channels(self) -> int:
        """Channels of the input image (``in_channels``, or ``img_channels`` when 0)."""
        return self.in_channels or self.img_channels


class UnetSkipConnectionBlock(nn.Module):
    """One U-Net level: down → submodule → up, with the input concatenated to the output (skip)."""

    def __init__(
        self,
        outer_nc: int,
        inner_nc: int,
        input_nc: int | None = None,
        submodule: nn.Module | None = None,
        outermost: bool = False,
        innermost: bool = False,
        norm: str = "batch",
        dropout: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        bias = conv_bias(norm)
        input_nc = outer_nc if input_nc is None else input_nc
        downconv = nn.Conv2d(input_nc, inner_nc, 4, 2, 1, bias=bias)
        downrelu = nn.LeakyReLU(0.2)
        uprelu = nn.ReLU()
        if outermost:
            assert submodule is not None
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, 2, 1)
            layers = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, 4, 2, 1, bias=bias)
            layers = [downrelu, downconv, uprelu, upconv, norm_layer(norm, outer_nc)]
        else:
            assert submodule is not None
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, 4, 2, 1, bias=bias)
            layers = [downrelu, downconv, norm_layer(norm, inner_nc), submodule, uprelu, upconv]
            layers.append(norm_layer(norm, outer_nc))
            if dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    """images [N, in_channels, R, R] in [-1, 1] → images [N, img_channels, R, R] (tanh)."""

    def __init__(self, cfg: Pix2PixConfig) -> None:
        super().__init__()
        self.cfg = cfg
        ngf, norm = cfg.ngf, cfg.norm
        block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, innermost=True, norm=norm)
        for _ in range(cfg.num_downs - 5):
            block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=block, norm=norm, dropout=cfg.dropout)
        block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, submodule=block, norm=norm)
        block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, submodule=block, norm=norm)
        block = UnetSkipConnectionBlock(ngf, ngf * 2, submodule=block, norm=norm)
        self.model = UnetSkipConnectionBlock(
            cfg.img_channels, ngf, input_nc=cfg.input_channels, submodule=block, outermost=True, norm=norm
        )
        init_normal(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_image(x, self.cfg.input_channels, 2**self.cfg.num_downs, "U-Net generator")
        return self.model(x)


class PatchDiscriminator(nn.Module):
    """The PatchGAN discriminator (``NLayerDiscriminator``; 3 layers = 70×70 receptive field).

    images [N, channels, H, W] → logits [N, 1, h, w], one per overlapping patch.
    """

    def __init__(self, channels: int, ndf: int = 64, n_layers: int = 3, norm: str = "batch") -> None:
        super().__init__()
        self.channels = channels
        bias = conv_bias(norm)
        seq: list[nn.Module] = [nn.Conv2d(channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
        mult = 1
        for n in range(1, n_layers):
            prev, mult = mult, min(2**n, 8)
            seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, 2, 1, bias=bias), norm_layer(norm, ndf * mult)]
            seq.append(nn.LeakyReLU(0.2))
        prev, mult = mult, min(2**n_layers, 8)
        seq += [nn.Conv2d(ndf * prev, ndf * mult, 4, 1, 1, bias=bias), norm_layer(norm, ndf * mult)]
        seq += [nn.LeakyReLU(0.2), nn.Conv2d(ndf * mult, 1, 4, 1, 1)]
        self.model = nn.Sequential(*seq)
        init_normal(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or x.shape[1] != self.channels:
            raise ValueError(f"PatchGAN expects [N, {self.channels}, H, W], got {tuple(x.shape)}")
        return self.model(x)
