"""StyleGAN3 generator (alias-free, configs T and R), pure torch.

Written from the paper (Karras et al. 2021, "Alias-Free Generative Adversarial Networks") and the
tensor layout of NVlabs' released pickles, so those load into these modules (see
:mod:`engine.checkpoints.nvlabs_stylegan3`):

* the mapping network is StyleGAN2's (:class:`engine.models.stylegan2.MappingNetwork`);
* the synthesis input is a bank of Fourier features: per channel a frequency (inside the first
  layer's cutoff) and a phase, rotated and translated per sample by an affine of ``ws[0]`` and by a
  user ``transform`` (:mod:`engine.input_transform`), sampled on a grid with a margin, then mixed
  by a learned ``weight``;
* each of the ``num_layers`` alias-free layers is a modulated convolution (3×3 for config T, 1×1
  for R) whose input is normalised by a running ``magnitude_ema``, followed by the filtered leaky
  ReLU (:func:`engine.nn.filtered_lrelu.filtered_lrelu`) with Kaiser low-pass filters designed from
  the layer's cutoff and sampling rate (config R: radially symmetric down filters);
* the last layer is ToRGB (1×1 modulated conv, no demodulation, no nonlinearity); the image is
  scaled by ``output_scale``.

There is no per-pixel noise. The layer plan (sizes, rates, widths) is in
:mod:`engine.models.stylegan3_layout`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.input_transform import InputTransform, as_matrix
from engine.models.stylegan2 import MappingNetwork, default_channels, resolutions, truncate
from engine.models.stylegan3_layout import InputSpec, LayerSpec, plan
from engine.nn.equalized import EqualLinear
from engine.nn.filtered_lrelu import design_lowpass_filter, filtered_lrelu


@dataclass(frozen=True)
class StyleGAN3Config:
    """Architecture of a StyleGAN3 generator (and, for training, a StyleGAN2 residual discriminator).

    The defaults are config T of the paper; config R is ``conv_kernel=1, use_radial_filters=True``
    (NVlabs also doubles ``channel_base`` and ``channel_max`` for it). ``channels`` (one per layer,
    ToRGB's last) overrides the widths ``rint(min(channel_base/2 / cutoff, channel_max))``.
    ``d_*`` and ``mbstd_group_size`` describe the training discriminator
    (:class:`~engine.models.label_mapping_discriminator.LabelMappingDiscriminator`); a model read from
    an NVlabs pickle takes them from the pickle's D.
    """

    resolution: int = 64
    img_channels: int = 3
    z_dim: int = 128
    w_dim: int = 128
    c_dim: int = 0
    mapping_layers: int = 2
    mapping_lr_mul: float = 0.01
    w_avg_beta: float = 0.998
    channel_base: int = 32768
    channel_max: int = 512
    channels: tuple[int, ...] = ()
    num_layers: int = 14
    num_critical: int = 2
    first_cutoff: float = 2.0
    first_stopband: float = 2**2.1
    last_stopband_rel: float = 2**0.3
    margin_size: int = 10
    output_scale: float = 0.25
    conv_kernel: int = 3
    filter_size: int = 6
    lrelu_upsampling: int = 2
    use_radial_filters: bool = False
    conv_clamp: float | None = 256.0
    magnitude_ema_beta: float = 0.999
    d_channels: tuple[int, ...] = field(default=())  # per resolution 4..R; empty = from channel_base/max
    mbstd_group_size: int = 4
    d_mapping_layers: int = 8  # conditional D: depth of its label mapping network

    #: Upper bounds of the integer fields, far above published models; checked before anything is allocated.
    LIMITS: ClassVar[dict[str, int]] = {
        "resolution": 16384,
        "num_layers": 64,
        "conv_kernel": 15,
        "filter_size": 64,
        "lrelu_upsampling": 16,
        "margin_size": 1024,
        "mapping_layers": 64,
        "d_mapping_layers": 64,
    }

    def __post_init__(self) -> None:
        for name, limit in self.LIMITS.items():
            if int(getattr(self, name)) > limit:
                raise ValueError(f"{name} must be at most {limit}, got {getattr(self, name)}")
        if self.resolution < 8 or self.resolution & (self.resolution - 1):
            raise ValueError(f"resolution must be a power of two ≥ 8, got {self.resolution}")
        if not 0 <= self.num_critical < self.num_layers:
            raise ValueError(f"need 0 ≤ num_critical < num_layers, got {self.num_critical}, {self.num_layers}")
        for name in ("img_channels", "z_dim", "w_dim", "mapping_layers", "conv_kernel", "filter_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be ≥ 1, got {getattr(self, name)}")
        if self.lrelu_upsampling < 1 or self.margin_size < 0 or self.c_dim < 0 or self.d_mapping_layers < 0:
            raise ValueError("lrelu_upsampling must be ≥ 1; margin_size, c_dim and d_mapping_layers ≥ 0")
        if not 0 < self.first_cutoff < self.resolution / 2 or self.first_stopband <= self.first_cutoff:
            raise ValueError("need 0 < first_cutoff < resolution/2 and first_stopband > first_cutoff")
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))
        if self.channels:
            if len(self.channels) != self.num_layers + 1 or self.channels[-1] != self.img_channels:
                raise ValueError(f"channels must list {self.num_layers + 1} widths ending in img_channels")
            if min(self.channels) < 1:
                raise ValueError("channels must be ≥ 1")
        d = self.d_channels or default_channels(self.resolution, self.channel_base, self.channel_max)
        object.__setattr__(self, "d_channels", tuple(int(c) for c in d))
        if len(self.d_channels) != len(resolutions(self.resolution)):
            raise ValueError(f"d_channels must list one count per resolution {resolutions(self.resolution)}")

    @property
    def num_ws(self) -> int:
        """The input reads ws[0], layer i reads ws[i + 1] (ToRGB included)."""
        return self.num_layers + 2

    @property
    def variant(self) -> str:
        """``"t"`` (3×3 convs, separable filters), ``"r"`` (1×1 convs, radial filters) or ``"custom"``."""
        if self.conv_kernel == 3 and not self.use_radial_filters:
            return "t"
        if self.conv_kernel == 1 and self.use_radial_filters:
            return "r"
        return "custom"


class SynthesisInput(nn.Module):
    """Fourier features: ``sin(2π (grid · f + φ))`` per channel, rotated/translated per sample, mixed by ``weight``."""

    def __init__(self, w_dim: int, spec: InputSpec) -> None:
        super().__init__()
        self.channels, self.size = spec.channels, spec.size
        self.sampling_rate, self.bandwidth = spec.sampling_rate, spec.bandwidth
        # Frequencies uniform in the disc of radius ``bandwidth``, phases uniform in a period.
        angle = torch.rand(spec.channels) * (2 * math.pi)
        radius = torch.rand(spec.channels).sqrt() * spec.bandwidth
        freqs = torch.stack([angle.cos(), angle.sin()], dim=1) * radius[:, None]
        self.weight = nn.Parameter(torch.randn(spec.channels, spec.channels))
        self.affine = EqualLinear(w_dim, 4)
        with torch.no_grad():  # starts as the identity rotation, no translation
            self.affine.weight.zero_()
            self.affine.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0]))
        self.register_buffer("transform", torch.eye(3))
        self.register_buffer("freqs", freqs)
        self.register_buffer("phases", torch.rand(spec.channels) - 0.5)

    def forward(self, w: torch.Tensor, transform: torch.Tensor | None = None) -> torch.Tensor:
        """``w`` [N, w_dim] → features [N, C, size, size]. ``transform`` ([3, 3] or [N, 3, 3]) replaces
        the stored ``transform`` buffer for this call."""
        n = w.shape[0]
        user = (self.transform if transform is None else transform).to(w.dtype)
        if user.ndim == 2:
            user = user.unsqueeze(0)
        if user.shape[0] not in (1, n):
            raise ValueError(f"transform must be [3, 3] or [{n}, 3, 3], got {tuple(user.shape)}")
        # Per-sample rotation (r_c, r_s, normalised) and translation (t_x, t_y) from ws[0], both
        # inverted since they act on the sampling grid rather than on the image.
        t = self.affine(w)
        t = t / t[:, :2].norm(dim=1, keepdim=True)
        eye = torch.eye(3, device=w.device, dtype=w.dtype).unsqueeze(0).repeat(n, 1, 1)
        m_r, m_t = eye.clone(), eye
        m_r[:, 0, 0], m_r[:, 0, 1], m_r[:, 1, 0], m_r[:, 1, 1] = t[:, 0], -t[:, 1], t[:, 1], t[:, 0]
        m_t[:, 0, 2], m_t[:, 1, 2] = -t[:, 2], -t[:, 3]
        m = m_r @ m_t @ user
        freqs = self.freqs.unsqueeze(0).to(w.dtype)
        phases = self.phases.unsqueeze(0).to(w.dtype) + (freqs @ m[:, :2, 2:]).squeeze(2)
        freqs = freqs @ m[:, :2, :2]
        # Frequencies the user transform pushes beyond the band fade out linearly up to Nyquist.
        amplitudes = (1 - (freqs.norm(dim=2) - self.bandwidth) / (self.sampling_rate / 2 - self.bandwidth)).clamp(0, 1)
        theta = torch.zeros(1, 2, 3, device=w.device, dtype=w.dtype)
        theta[0, 0, 0] = theta[0, 1, 1] = 0.5 * self.size / self.sampling_rate
        grid = F.affine_grid(theta, [1, 1, self.size, self.size], align_corners=False)  # [1, H, W, 2]
        x = (grid.unsqueeze(3) @ freqs.permute(0, 2, 1).unsqueeze(1).unsqueeze(2)).squeeze(3)  # [N, H, W, C]
        x = x + phases.unsqueeze(1).unsqueeze(2)
        x = torch.sin(x * (2 * math.pi)) * amplitudes.unsqueeze(1).unsqueeze(2)
        x = x @ (self.weight / math.sqrt(self.channels)).t()
        return x.permute(0, 3, 1, 2)


def modulated_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    demodulate: bool,
    padding: int,
    input_gain: torch.Tensor | None = None,
) -> torch.Tensor:
    """StyleGAN3's modulated convolution of ``x`` [N, I, H, W] with ``weight`` [O, I, k, k] by ``styles`` [N, I].

    With demodulation, weight and styles are first scaled to unit mean square (for range, it cancels
    in the demodulation), then each sample's output channel is divided by the norm of its modulated
    weights. ``input_gain`` (a scalar) scales the input. Computed with the styles on the activations
    and one shared convolution, equal to convolving with per-sample weights ``w·s·d·gain``.
    """
    n, i = x.shape[:2]
    o, i2, kh, kw = weight.shape
    if i != i2 or styles.shape != (n, i):
        raise ValueError(
            f"modconv shapes: x {tuple(x.shape)}, weight {tuple(weight.shape)}, styles {tuple(styles.shape)}"
        )
    if demodulate:
        weight = weight * weight.square().mean(dim=[1, 2, 3], keepdim=True).rsqrt()
        styles = styles * styles.square().mean().rsqrt()
    scale = styles if input_gain is None else styles * input_gain
    x = x * scale.reshape(n, i, 1, 1).to(x.dtype)
    if kh == kw == 1 and padding == 0:  # config R: a matmul over channels (channels-last friendly)
        x = (x.permute(0, 2, 3, 1) @ weight[:, :, 0, 0].t().to(x.dtype)).permute(0, 3, 1, 2)
    else:
        x = F.conv2d(x, weight.to(x.dtype), padding=padding)
    if demodulate:
        dcoefs = (styles.square() @ weight.square().sum(dim=[2, 3]).t() + 1e-8).rsqrt()  # [N, O]
        x = x * dcoefs.reshape(n, o, 1, 1).to(x.dtype)
    return x


class SynthesisLayer(nn.Module):
    """One alias-free layer: modulated conv, then bias + filtered leaky ReLU (ToRGB: linear)."""

    def __init__(self, w_dim: int, spec: LayerSpec, conv_clamp: float | None, magnitude_ema_beta: float) -> None:
        super().__init__()
        self.spec = spec
        self.is_torgb = spec.is_torgb
        self.conv_clamp = conv_clamp
        self.magnitude_ema_beta = magnitude_ema_beta
        k = spec.conv_kernel
        self.affine = EqualLinear(w_dim, spec.in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(spec.out_channels, spec.in_channels, k, k))
        self.bias = nn.Parameter(torch.zeros(spec.out_channels))
        self.register_buffer("magnitude_ema", torch.ones([]))
        up = design_lowpass_filter(spec.up_taps, spec.in_cutoff, spec.in_half_width * 2, spec.tmp_sampling_rate)
        down = design_lowpass_filter(
            spec.down_taps, spec.out_cutoff, spec.out_half_width * 2, spec.tmp_sampling_rate, radial=spec.down_radial
        )
        self.register_buffer("up_filter", up)  # None (ToRGB) is left out of the state dict
        self.register_buffer("down_filter", down)
        self.style_gain = 1 / math.sqrt(spec.in_channels * k * k) if spec.is_torgb else 1.0

    def forward(self, x: torch.Tensor, w: torch.Tensor, update_emas: bool = False) -> torch.Tensor:
        s = self.spec
        if x.shape[1:] != (s.in_channels, s.in_size, s.in_size):
            raise ValueError(
                f"{s.name}: input must be [N, {s.in_channels}, {s.in_size}, {s.in_size}], got {tuple(x.shape)}"
            )
        if update_emas:
            with torch.no_grad():
                current = x.detach().float().square().mean()
                self.magnitude_ema.copy_(current.lerp(self.magnitude_ema, self.magnitude_ema_beta))
        styles = self.affine(w)
        if self.is_torgb:
            styles = styles * self.style_gain
        x = modulated_conv2d(
            x, self.weight, styles, demodulate=not self.is_torgb, padding=s.conv_kernel - 1,
            input_gain=self.magnitude_ema.rsqrt(),
        )  # fmt: skip
        gain, slope = (1.0, 1.0) if self.is_torgb else (math.sqrt(2), 0.2)
        return filtered_lrelu(
            x, self.up_filter, self.down_filter, self.bias, s.up, s.down, s.padding, gain, slope, self.conv_clamp
        )

    def extra_repr(self) -> str:
        s = self.spec
        return (
            f"{s.name}: {s.in_channels}→{s.out_channels}, {s.in_size}→{s.out_size} px, "
            f"rate {s.in_sampling_rate}→{s.out_sampling_rate}, up {s.up} down {s.down}, k {s.conv_kernel}"
        )


class SynthesisNetwork(nn.Module):
    """ws [N, num_ws, w_dim] → image [N, C, R, R] (about [-1, 1] once trained)."""

    def __init__(self, cfg: StyleGAN3Config) -> None:
        super().__init__()
        self.w_dim, self.num_ws = cfg.w_dim, cfg.num_ws
        self.resolution, self.img_channels = cfg.resolution, cfg.img_channels
        self.output_scale = cfg.output_scale
        inp, specs = plan(cfg)
        self.input = SynthesisInput(cfg.w_dim, inp)
        self.layers = nn.ModuleList(SynthesisLayer(cfg.w_dim, s, cfg.conv_clamp, cfg.magnitude_ema_beta) for s in specs)

    @property
    def layer_names(self) -> list[str]:
        """NVlabs' names of the layers, ``L{i}_{size}_{channels}``."""
        return [layer.spec.name for layer in self.layers]

    def forward(
        self, ws: torch.Tensor, transform: torch.Tensor | None = None, update_emas: bool = False
    ) -> torch.Tensor:
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must be [N, {self.num_ws}, {self.w_dim}], got {tuple(ws.shape)}")
        ws = ws.float().unbind(dim=1)
        x = self.input(ws[0], transform)
        for layer, w in zip(self.layers, ws[1:]):
            x = layer(x, w, update_emas=update_emas)
        if self.output_scale != 1:
            x = x * self.output_scale
        return x


class Generator(nn.Module):
    """StyleGAN3 generator: StyleGAN2's mapping network + the alias-free synthesis network."""

    def __init__(self, cfg: StyleGAN3Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.mapping = MappingNetwork(cfg)  # reads z_dim, c_dim, w_dim, num_ws, mapping_* and w_avg_beta
        self.synthesis = SynthesisNetwork(cfg)

    def forward(
        self,
        z: torch.Tensor,
        c: torch.Tensor | None = None,
        psi: float = 1.0,
        cutoff: int | None = None,
        transform: InputTransform | torch.Tensor | np.ndarray | None = None,
    ) -> torch.Tensor:
        ws = self.mapping(z, c, psi=psi, cutoff=cutoff)
        m = None if transform is None else as_matrix(transform, ws.device)
        return self.synthesis(ws, transform=m)


__all__ = [
    "Generator",
    "StyleGAN3Config",
    "SynthesisInput",
    "SynthesisLayer",
    "SynthesisNetwork",
    "modulated_conv2d",
    "truncate",
]
