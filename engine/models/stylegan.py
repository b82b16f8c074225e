"""StyleGAN (v1, Karras et al. 2019) generator and discriminator, pure torch.

Mapping network as StyleGAN2's (pixel-normed z, ``mapping_layers`` equalised FC layers with lr
multiplier 0.01, ``w_avg`` tracking, truncation with ψ and cutoff). Synthesis: a learned constant
4×4 input; at each resolution two layers, each followed by per-pixel noise with a learned
per-channel scale, bias, leaky ReLU, then AdaIN (instance norm and a per-channel scale/bias from an
affine transform of that layer's w). Up-sampling is blurred (FIR [1, 3, 3, 1], i.e. bilinear) before
the 3×3 conv. One toRGB at the output resolution. Layer ``i`` uses style ``ws[:, i]`` and noise
input ``i``: style layers and noise layers are both ``2 * levels`` and belong to resolution
``4 * 2**(i // 2)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from engine.api import NOISE_MODES
from engine.models.stylegan2 import (
    MappingNetwork,
    resolutions,
    resolve_channels,
    truncate,
)
from engine.nn.equalized import EqualConv2d, EqualLinear
from engine.nn.fir import make_fir, upsample2d
from engine.nn.stddev import MinibatchStdDev

HE_GAIN = math.sqrt(2.0)


@dataclass(frozen=True)
class StyleGANConfig:
    """Architecture of a StyleGAN (v1) generator (and its discriminator for training)."""

    resolution: int = 64
    img_channels: int = 3
    z_dim: int = 128
    w_dim: int = 128
    c_dim: int = 0
    mapping_layers: int = 8
    mapping_lr_mul: float = 0.01
    channels: tuple[int, ...] = ()  # per resolution 4..R; empty = from channel_base/max
    channel_base: int = 4096
    channel_max: int = 128
    w_avg_beta: float = 0.995
    d_channels: tuple[int, ...] = field(default=())  # per resolution 4..R; empty = same as G
    mbstd_group_size: int = 4

    def __post_init__(self) -> None:
        resolve_channels(self)

    @property
    def num_layers(self) -> int:
        """Synthesis layers (= noise inputs = style inputs): two per resolution."""
        return 2 * len(self.channels)

    @property
    def num_ws(self) -> int:
        return self.num_layers

    @property
    def layer_resolutions(self) -> tuple[int, ...]:
        """The resolution of each synthesis layer (style layer and noise layer ``i``)."""
        return tuple(r for r in resolutions(self.resolution) for _ in range(2))


class StyleLayer(nn.Module):
    """(Blurred up×2,) 3×3 conv (none on the constant input), noise, bias, lrelu, AdaIN."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, resolution: int, kind: str) -> None:
        super().__init__()
        if kind not in ("const", "conv", "up"):
            raise ValueError(f"unknown layer kind {kind!r}")
        self.kind = kind
        self.resolution = resolution
        self.conv = EqualConv2d(in_ch, out_ch, 3, bias=False, gain=HE_GAIN) if kind != "const" else None
        if kind == "up":
            self.register_buffer("resample_filter", make_fir())
        else:
            self.resample_filter = None
        self.noise_weight = nn.Parameter(torch.zeros(out_ch))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.style = EqualLinear(w_dim, 2 * out_ch)
        with torch.no_grad():  # AdaIN scale starts at 1 (stored as 1 + y_s), bias at 0
            self.style.bias.zero_()
        self.register_buffer("noise_const", torch.randn(resolution, resolution))

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        if self.kind == "up":
            x = upsample2d(x, self.resample_filter)
        if self.conv is not None:
            x = self.conv(x)
        if noise is not None:
            x = x + noise * self.noise_weight.reshape(1, -1, 1, 1)
        x = F.leaky_relu(x + self.bias.reshape(1, -1, 1, 1), 0.2)
        x = x - x.mean(dim=[2, 3], keepdim=True)
        x = x * (x.square().mean(dim=[2, 3], keepdim=True) + 1e-8).rsqrt()
        ys, yb = self.style(w).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
        return x * (ys + 1) + yb

    def make_noise(self, mode: str, batch: int, generator: torch.Generator | None = None) -> torch.Tensor | None:
        if mode == "none":
            return None
        r = self.resolution
        if mode == "const":
            return self.noise_const.reshape(1, 1, r, r)
        dev = self.noise_const.device
        return torch.randn(batch, 1, r, r, generator=generator, device="cpu" if generator is not None else dev).to(dev)


class SynthesisNetwork(nn.Module):
    """ws [N, num_ws, w_dim] → image [N, C, R, R]."""

    def __init__(self, cfg: StyleGANConfig) -> None:
        super().__init__()
        self.w_dim, self.num_ws = cfg.w_dim, cfg.num_ws
        rs = resolutions(cfg.resolution)
        self.const = nn.Parameter(torch.ones(cfg.channels[0], 4, 4))
        layers = []
        prev = cfg.channels[0]
        for r, ch in zip(rs, cfg.channels):
            layers.append(StyleLayer(prev, ch, cfg.w_dim, r, "const" if r == 4 else "up"))
            layers.append(StyleLayer(ch, ch, cfg.w_dim, r, "conv"))
            prev = ch
        self.layers = nn.ModuleList(layers)
        self.torgb = EqualConv2d(cfg.channels[-1], cfg.img_channels, 1)

    def layer_modules(self) -> dict[str, nn.Module]:
        """Inspectable layers by name (each after AdaIN)."""
        return {
            f"b{layer.resolution}.{'conv0' if i % 2 == 0 else 'conv1'}": layer for i, layer in enumerate(self.layers)
        }

    def forward(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        noise_strengths: list[float] | tuple[float, ...] | None = None,
        noise_seed: int | None = None,
    ) -> torch.Tensor:
        n = ws.shape[0]
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must be [N, {self.num_ws}, {self.w_dim}], got {tuple(ws.shape)}")
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        if noise_strengths is not None and len(noise_strengths) != len(self.layers):
            raise ValueError(f"noise_strengths needs {len(self.layers)} values, got {len(noise_strengths)}")
        gen = None
        if noise_seed is not None and noise_mode == "random":
            gen = torch.Generator().manual_seed(int(noise_seed))
        x = self.const.unsqueeze(0).repeat(n, 1, 1, 1).to(ws.dtype)
        for i, layer in enumerate(self.layers):
            noise = layer.make_noise(noise_mode, n, gen)
            if noise is not None and noise_strengths is not None:
                noise = noise * float(noise_strengths[i])
            x = layer(x, ws[:, i], noise)
        return self.torgb(x)


class Generator(nn.Module):
    """StyleGAN generator: mapping network + AdaIN synthesis network."""

    def __init__(self, cfg: StyleGANConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.mapping = MappingNetwork(cfg)  # type: ignore[arg-type]  # same fields as StyleGAN2Config
        self.synthesis = SynthesisNetwork(cfg)

    def forward(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None = None,
        psi: float = 1.0,
        cutoff: int | None = None,
        noise_mode: str = "const",
    ) -> torch.Tensor:
        return self.synthesis(self.mapping(z, c, psi=psi, cutoff=cutoff), noise_mode=noise_mode)


class Discriminator(nn.Module):
    """ProGAN/StyleGAN-v1 style discriminator: fromRGB, (conv, blur-down conv) per level, mbstd, dense.

    Conditional models use a projection: the output is ``<features, embed(c)> / sqrt(dim)``.
    """

    def __init__(self, cfg: StyleGANConfig) -> None:
        super().__init__()
        rs = resolutions(cfg.resolution)
        ch = dict(zip(rs, cfg.d_channels))
        self.fromrgb = EqualConv2d(cfg.img_channels, ch[cfg.resolution], 1, activation="lrelu")
        self.convs = nn.ModuleList()
        for r in reversed(rs[1:]):
            self.convs.append(
                nn.Sequential(
                    EqualConv2d(ch[r], ch[r], 3, activation="lrelu"),
                    EqualConv2d(ch[r], ch[r // 2], 3, activation="lrelu", down=2),
                )
            )
        c4 = ch[4]
        self.mbstd = MinibatchStdDev(cfg.mbstd_group_size, 1)
        self.conv = EqualConv2d(c4 + 1, c4, 3, activation="lrelu")
        self.fc = EqualLinear(c4 * 16, c4, activation="lrelu")
        self.cmap_dim = c4 if cfg.c_dim > 0 else 0
        self.embed = EqualLinear(cfg.c_dim, self.cmap_dim) if cfg.c_dim > 0 else None
        self.out = EqualLinear(c4, max(self.cmap_dim, 1))

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        x = self.fromrgb(img)
        for conv in self.convs:
            x = conv(x)
        x = self.fc(self.conv(self.mbstd(x)).flatten(1))
        x = self.out(x)
        if self.embed is not None:
            cmap = self.embed(c.float())
            x = (x * cmap).sum(dim=1, keepdim=True) / math.sqrt(self.cmap_dim)
        return x


__all__ = ["Discriminator", "Generator", "StyleGANConfig", "SynthesisNetwork", "truncate"]
