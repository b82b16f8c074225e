"""StyleGAN2 generator (mapping + skip synthesis) and residual discriminator, pure torch.

Numerics follow NVlabs' stylegan2-ada-pytorch and rosinality's stylegan2-pytorch, so that
checkpoints of both can be loaded into these modules (see ``engine.checkpoints``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from engine import interrupt
from engine.api import NOISE_MODES
from engine.nn.equalized import EqualConv2d, EqualLinear, bias_lrelu
from engine.nn.fir import downsample2d, make_fir, upsample2d
from engine.nn.fused import LRELU_GAIN, add_, lrelu_tail, modconv_inference, prefer_channels_last, weight_energy
from engine.nn.modconv import demodulation, modulated_conv2d
from engine.nn.stddev import MinibatchStdDev


def normalize_2nd_moment(x: torch.Tensor, dim: int = 1, eps: float = 1e-8) -> torch.Tensor:
    """Pixel norm: ``x * rsqrt(mean(x^2) + eps)`` along ``dim``."""
    return x * (x.square().mean(dim=dim, keepdim=True) + eps).rsqrt()


def default_channels(resolution: int, channel_base: int, channel_max: int) -> tuple[int, ...]:
    """Channel count per resolution 4, 8, ..., R: ``min(channel_base // res, channel_max)``."""
    return tuple(min(channel_base // r, channel_max) for r in resolutions(resolution))


def resolutions(resolution: int) -> list[int]:
    """[4, 8, ..., resolution]; the resolution must be a power of two ≥ 4."""
    log2 = int(round(math.log2(resolution)))
    if resolution < 4 or 2**log2 != resolution:
        raise ValueError(f"resolution must be a power of two ≥ 4, got {resolution}")
    return [2**i for i in range(2, log2 + 1)]


def resolve_channels(cfg: Any) -> None:
    """Fill a frozen config's ``channels`` (from ``channel_base``/``channel_max`` when empty) and
    ``d_channels`` (= ``channels`` when empty) as int tuples, one per resolution 4..R; check the counts."""
    rs = resolutions(cfg.resolution)
    chans = cfg.channels or default_channels(cfg.resolution, cfg.channel_base, cfg.channel_max)
    object.__setattr__(cfg, "channels", tuple(int(c) for c in chans))
    object.__setattr__(cfg, "d_channels", tuple(int(c) for c in (cfg.d_channels or cfg.channels)))
    if len(cfg.channels) != len(rs) or len(cfg.d_channels) != len(rs):
        raise ValueError(f"channels must list one count per resolution {rs}")


@dataclass(frozen=True)
class StyleGAN2Config:
    """Architecture of a StyleGAN2 generator (and its discriminator for training)."""

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
    conv_clamp: float | None = None
    w_avg_beta: float = 0.995
    d_channels: tuple[int, ...] = field(default=())  # per resolution 4..R; empty = same as G
    mbstd_group_size: int = 4

    def __post_init__(self) -> None:
        resolve_channels(self)

    @property
    def num_layers(self) -> int:
        """Number of synthesis conv layers (= noise inputs)."""
        return 2 * len(self.channels) - 1

    @property
    def num_ws(self) -> int:
        return self.num_layers + 1


class MappingNetwork(nn.Module):
    """z (+ class embedding) → w, with ``w_avg`` tracking and truncation."""

    def __init__(self, cfg: StyleGAN2Config) -> None:
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws = cfg.z_dim, cfg.c_dim, cfg.w_dim, cfg.num_ws
        self.w_avg_beta = cfg.w_avg_beta
        embed = cfg.w_dim if cfg.c_dim > 0 else 0
        self.embed = EqualLinear(cfg.c_dim, embed) if cfg.c_dim > 0 else None
        feats = [cfg.z_dim + embed] + [cfg.w_dim] * cfg.mapping_layers
        self.fcs = nn.ModuleList(
            EqualLinear(feats[i], feats[i + 1], lr_mul=cfg.mapping_lr_mul, activation="lrelu")
            for i in range(cfg.mapping_layers)
        )
        self.register_buffer("w_avg", torch.zeros(cfg.w_dim))

    def forward(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None = None,
        psi: float = 1.0,
        cutoff: int | None = None,
        update_w_avg: bool = False,
    ) -> torch.Tensor:
        """Map ``z`` [N, z_dim] (and one-hot ``c`` [N, c_dim]) to ``ws`` [N, num_ws, w_dim]."""
        if z.ndim != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"z must be [N, {self.z_dim}], got {tuple(z.shape)}")
        x = normalize_2nd_moment(z.float())
        if self.embed is not None:
            if c is None or c.shape != (z.shape[0], self.c_dim):
                raise ValueError(f"conditional model needs c of shape [N, {self.c_dim}]")
            x = torch.cat([x, normalize_2nd_moment(self.embed(c.float()))], dim=1)
        for fc in self.fcs:
            x = fc(x)
        if update_w_avg:
            self.w_avg.copy_(x.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        ws = x.unsqueeze(1).repeat(1, self.num_ws, 1)
        if psi != 1:
            ws = truncate(ws, self.w_avg, psi, cutoff)
        return ws


def truncate(ws: torch.Tensor, w_avg: torch.Tensor, psi: float, cutoff: int | None = None) -> torch.Tensor:
    """``w_avg + psi (w - w_avg)`` on the first ``cutoff`` style layers (all when None)."""
    if cutoff is None:
        return w_avg.lerp(ws, psi)
    ws = ws.clone()
    ws[:, :cutoff] = w_avg.lerp(ws[:, :cutoff], psi)
    return ws


class SynthesisLayer(nn.Module):
    """Modulated 3×3 conv (optionally up×2) + noise + bias + lrelu·√2."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, resolution: int, up: int, clamp: float | None):
        super().__init__()
        self.up = up
        self.resolution = resolution
        self.clamp = clamp
        self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, 3, 3))
        self.weight_gain = 1.0 / math.sqrt(in_ch * 9)
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.register_buffer("noise_const", torch.randn(resolution, resolution))
        if up > 1:
            self.register_buffer("resample_filter", make_fir())
        else:
            self.resample_filter = None

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor | None, gain: float = 1.0) -> torch.Tensor:
        if not self.training:
            return self.forward_inference(x, w, noise, gain)
        styles = self.affine(w)
        weight = self.weight * self.weight_gain
        x = modulated_conv2d(x, weight, styles, False, self.up, self.resample_filter)
        if noise is not None:
            noise = noise * self.noise_strength
        clamp = self.clamp * gain if self.clamp is not None else None
        # Demodulation, noise, bias and activation in one fused epilogue (see bias_lrelu).
        return bias_lrelu(x, self.bias, clamp, scale=demodulation(weight, styles), noise=noise)

    def forward_inference(
        self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor | None, gain: float = 1.0
    ) -> torch.Tensor:
        """:meth:`forward` with the style, demodulation, gains and bias in the weights (see
        :mod:`engine.nn.fused`); what eval mode runs."""
        styles = self.affine(w) * self.weight_gain
        x = modconv_inference(
            x,
            self.weight,
            styles,
            up=self.up,
            resample_filter=self.resample_filter,
            bias=self.bias,
            scale=LRELU_GAIN,
            wsq=None if torch.is_grad_enabled() else self._weight_energy(),
        )
        if noise is not None:
            noise = noise * (self.noise_strength * LRELU_GAIN)
        return lrelu_tail(x, noise, self.clamp * gain if self.clamp is not None else None)

    def _weight_energy(self) -> torch.Tensor:
        """``Σ_k W²`` of the stored weight, kept until the weight changes (for demodulation without autograd)."""
        w = self.weight
        if w.is_inference():  # no version counter to tell a change: compute it
            return weight_energy(w)
        key = (w.data_ptr(), w._version, w.device, w.dtype)
        cached = self.__dict__.get("_energy")
        if cached is None or cached[0] != key:
            cached = (key, weight_energy(w.detach()))
            self.__dict__["_energy"] = cached
        return cached[1]

    def make_noise(self, mode: str, batch: int, generator: torch.Generator | None = None) -> torch.Tensor | None:
        if mode == "none":
            return None
        if mode == "const":
            return self.noise_const.reshape(1, 1, self.resolution, self.resolution)
        r = self.resolution
        dev = self.noise_const.device
        return torch.randn(batch, 1, r, r, generator=generator, device="cpu" if generator is not None else dev).to(dev)


class ToRGB(nn.Module):
    """Modulated 1×1 conv to image channels, no demodulation."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, clamp: float | None):
        super().__init__()
        self.affine = EqualLinear(w_dim, in_ch, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_ch, in_ch, 1, 1))
        self.weight_gain = 1.0 / math.sqrt(in_ch)
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.clamp = clamp

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w) * self.weight_gain
        if not self.training:  # (in float32: the image is accumulated in it whatever the compute dtype)
            x = modconv_inference(x, self.weight, styles, demodulate=False, bias=self.bias).float()
            if self.clamp is None:
                return x
            return x.clamp(-self.clamp, self.clamp) if torch.is_grad_enabled() else x.clamp_(-self.clamp, self.clamp)
        n, i, h, w_ = x.shape
        o = self.weight.shape[0]
        if styles.shape != (n, i):
            raise ValueError(f"toRGB shapes: x {tuple(x.shape)}, styles {tuple(styles.shape)}")
        # A 1x1 modulated conv is a batched matmul with per-sample weights W * s: one read of x.
        wmod = (self.weight[:, :, 0, 0].unsqueeze(0) * styles.unsqueeze(1)).to(x.dtype)  # [N, O, I]
        bias = self.bias.to(x.dtype)
        if x.stride(1) == 1 and i > 1:  # channels-last: [N, H*W, I] @ [N, I, O], still channels-last
            y = torch.baddbmm(bias, x.permute(0, 2, 3, 1).reshape(n, h * w_, i), wmod.transpose(1, 2))
            x = y.reshape(n, h, w_, o).permute(0, 3, 1, 2)
        else:
            x = torch.baddbmm(bias.unsqueeze(1), wmod, x.reshape(n, i, h * w_)).reshape(n, o, h, w_)
        if self.clamp is not None:
            x = x.clamp(-self.clamp, self.clamp)
        return x


class SynthesisBlock(nn.Module):
    """One resolution of the skip generator: (up-conv,) conv, toRGB; image skip is FIR-upsampled."""

    def __init__(self, in_ch: int, out_ch: int, w_dim: int, resolution: int, img_channels: int, clamp: float | None):
        super().__init__()
        self.resolution = resolution
        if in_ch == 0:
            self.const = nn.Parameter(torch.randn(out_ch, 4, 4))
            self.conv0 = None
        else:
            self.const = None
            self.conv0 = SynthesisLayer(in_ch, out_ch, w_dim, resolution, up=2, clamp=clamp)
        self.conv1 = SynthesisLayer(out_ch, out_ch, w_dim, resolution, up=1, clamp=clamp)
        self.torgb = ToRGB(out_ch, img_channels, w_dim, clamp)
        self.register_buffer("resample_filter", make_fir())

    @property
    def layers(self) -> list[SynthesisLayer]:
        return [layer for layer in (self.conv0, self.conv1) if layer is not None]


class SynthesisNetwork(nn.Module):
    """ws [N, num_ws, w_dim] → image [N, C, R, R] (unclamped, about [-1, 1])."""

    def __init__(self, cfg: StyleGAN2Config) -> None:
        super().__init__()
        self.w_dim, self.num_ws = cfg.w_dim, cfg.num_ws
        self.resolution = cfg.resolution
        blocks = []
        prev = 0
        for r, ch in zip(resolutions(cfg.resolution), cfg.channels):
            blocks.append(SynthesisBlock(prev, ch, cfg.w_dim, r, cfg.img_channels, cfg.conv_clamp))
            prev = ch
        self.blocks = nn.ModuleList(blocks)

    @property
    def layers(self) -> list[SynthesisLayer]:
        """All synthesis conv layers in order (one noise input and one style each)."""
        return [layer for b in self.blocks for layer in b.layers]

    @property
    def block_resolutions(self) -> tuple[int, ...]:
        """The resolution of each block, 4 … R: where an image exists (the skip architecture's RGB)."""
        return tuple(b.resolution for b in self.blocks)

    def forward(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        noise_strengths: list[float] | tuple[float, ...] | None = None,
        noise_seed: int | None = None,
        max_resolution: int | None = None,
    ) -> torch.Tensor:
        """The image of ``ws``; with ``max_resolution`` (one of :attr:`block_resolutions`) the RGB
        accumulated up to that block — a valid low-resolution image at a fraction of the cost (the
        blocks above are skipped). In eval mode the layers run their inference forms, channels-last
        on the CPU, and :func:`engine.interrupt.check` is called between layers."""
        n = ws.shape[0]
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must be [N, {self.num_ws}, {self.w_dim}], got {tuple(ws.shape)}")
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        num_layers = len(self.layers)
        if noise_strengths is not None and len(noise_strengths) != num_layers:
            raise ValueError(f"noise_strengths needs {num_layers} values, got {len(noise_strengths)}")
        if max_resolution is not None and max_resolution not in self.block_resolutions:
            raise ValueError(f"max_resolution must be one of {self.block_resolutions}, got {max_resolution}")
        gen = None
        if noise_seed is not None and noise_mode == "random":
            gen = torch.Generator().manual_seed(int(noise_seed))
        inference = not self.training
        x = img = None
        li = 0
        for block in self.blocks:
            for layer in block.layers:
                noise = layer.make_noise(noise_mode, n, gen)
                if noise is not None and noise_strengths is not None:
                    noise = noise * float(noise_strengths[li])
                if block.const is not None:
                    x = block.const.unsqueeze(0).repeat(n, 1, 1, 1).to(ws.dtype)
                    if inference and prefer_channels_last(x):
                        x = x.contiguous(memory_format=torch.channels_last)
                x = layer(x, ws[:, li], noise)
                li += 1
                if inference:
                    interrupt.check()
            y = block.torgb(x, ws[:, li])
            if img is None:
                img = y
            elif inference:
                img = add_(upsample2d(img, block.resample_filter), y)
            else:
                img = upsample2d(img, block.resample_filter) + y
            if block.resolution == max_resolution:
                break
        return img


class Generator(nn.Module):
    """StyleGAN2 generator: mapping network + skip synthesis network."""

    def __init__(self, cfg: StyleGAN2Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.mapping = MappingNetwork(cfg)
        self.synthesis = SynthesisNetwork(cfg)

    def forward(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None = None,
        psi: float = 1.0,
        cutoff: int | None = None,
        noise_mode: str = "const",
    ) -> torch.Tensor:
        ws = self.mapping(z, c, psi=psi, cutoff=cutoff)
        return self.synthesis(ws, noise_mode=noise_mode)


class DiscriminatorBlock(nn.Module):
    """Residual block: conv, down-conv, with a 1×1 down-sampled skip scaled by 1/√2."""

    def __init__(self, in_ch: int, tmp_ch: int, out_ch: int, img_channels: int, clamp: float | None):
        super().__init__()
        self.fromrgb = EqualConv2d(img_channels, tmp_ch, 1, activation="lrelu", clamp=clamp) if in_ch == 0 else None
        self.conv0 = EqualConv2d(tmp_ch, tmp_ch, 3, activation="lrelu", clamp=clamp)
        self.conv1 = EqualConv2d(tmp_ch, out_ch, 3, activation="lrelu", down=2, clamp=clamp)
        self.skip = EqualConv2d(tmp_ch, out_ch, 1, bias=False, down=2)

    def forward(self, x: torch.Tensor | None, img: torch.Tensor | None) -> torch.Tensor:
        if self.fromrgb is not None:
            x = self.fromrgb(img)
        y = self.skip(x, gain=math.sqrt(0.5))
        x = self.conv1(self.conv0(x), gain=math.sqrt(0.5))
        return x + y


class Discriminator(nn.Module):
    """StyleGAN2 residual discriminator with minibatch stddev and projection conditioning."""

    def __init__(self, cfg: StyleGAN2Config) -> None:
        super().__init__()
        rs = resolutions(cfg.resolution)
        ch = dict(zip(rs, cfg.d_channels))
        blocks = []
        for r in reversed(rs[1:]):
            in_ch = 0 if r == cfg.resolution else ch[r]
            blocks.append(DiscriminatorBlock(in_ch, ch[r], ch[r // 2], cfg.img_channels, cfg.conv_clamp))
        self.blocks = nn.ModuleList(blocks)
        c4 = ch[4]
        self.cmap_dim = c4 if cfg.c_dim > 0 else 0
        self.embed = EqualLinear(cfg.c_dim, self.cmap_dim) if cfg.c_dim > 0 else None
        self.mbstd = MinibatchStdDev(cfg.mbstd_group_size, 1)
        self.conv = EqualConv2d(c4 + 1, c4, 3, activation="lrelu", clamp=cfg.conv_clamp)
        self.fc = EqualLinear(c4 * 16, c4, activation="lrelu")
        self.out = EqualLinear(c4, max(self.cmap_dim, 1))

    def forward(self, img: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        x = None
        for block in self.blocks:
            x = block(x, img)
        x = self.mbstd(x)
        x = self.conv(x)
        x = self.fc(x.flatten(1))
        x = self.out(x)
        if self.embed is not None:
            cmap = self.embed(c.float())
            x = (x * cmap).sum(dim=1, keepdim=True) / math.sqrt(self.cmap_dim)
        return x


__all__ = [
    "Discriminator",
    "Generator",
    "MappingNetwork",
    "StyleGAN2Config",
    "SynthesisNetwork",
    "downsample2d",
    "normalize_2nd_moment",
    "truncate",
]
