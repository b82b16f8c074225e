"""The layer plan of a StyleGAN3 synthesis network: cutoffs, sampling rates, sizes and widths per layer.

From the paper (Karras et al. 2021, §3 and Appendix F): the cutoff frequency ``f_c`` grows
geometrically from ``first_cutoff`` to the output's Nyquist frequency ``resolution/2`` over the
layers before the last ``num_critical`` (which sit at it), the minimum stopband ``f_t`` grows alike
from ``first_stopband`` to ``f_c,N · last_stopband_rel``. Each layer's sampling rate is the smallest
power of two ≥ 2·f_t (at most the resolution); its transition half-width is what that rate leaves
between cutoff and ``max(f_t, rate/2)``. Feature maps carry ``margin_size`` extra samples on each
side (the last two layers do not), and the width is ``channel_base/2 / f_c`` (at most ``channel_max``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class InputSpec:
    """The Fourier-feature input: ``channels`` features sampled on a ``size``² grid at ``sampling_rate``
    with frequencies inside ``bandwidth``."""

    channels: int
    size: int
    sampling_rate: float
    bandwidth: float


@dataclass(frozen=True)
class LayerSpec:
    """One alias-free synthesis layer (the last one is ToRGB)."""

    index: int
    in_channels: int
    out_channels: int
    in_size: int
    out_size: int
    in_sampling_rate: int
    out_sampling_rate: int
    in_cutoff: float
    out_cutoff: float
    in_half_width: float
    out_half_width: float
    is_torgb: bool
    is_critically_sampled: bool
    conv_kernel: int
    up: int
    down: int
    up_taps: int
    down_taps: int
    down_radial: bool
    padding: tuple[int, int, int, int]

    @property
    def name(self) -> str:
        """The layer's name in NVlabs pickles: ``L{index}_{out_size}_{out_channels}``."""
        return f"L{self.index}_{self.out_size}_{self.out_channels}"

    @property
    def tmp_sampling_rate(self) -> int:
        """The rate the nonlinearity runs at."""
        return self.in_sampling_rate * self.up


def plan(cfg: Any) -> tuple[InputSpec, list[LayerSpec]]:
    """The input and the ``num_layers + 1`` layers (ToRGB last) of the synthesis network for ``cfg``
    (a :class:`~engine.models.stylegan3.StyleGAN3Config`). ``cfg.channels``, when given, overrides
    the widths (one per layer, ToRGB's = ``img_channels``)."""
    n, res = cfg.num_layers, cfg.resolution
    last_cutoff = res / 2
    last_stopband = last_cutoff * cfg.last_stopband_rel
    exponents = np.minimum(np.arange(n + 1) / (n - cfg.num_critical), 1)
    cutoffs = cfg.first_cutoff * (last_cutoff / cfg.first_cutoff) ** exponents
    stopbands = cfg.first_stopband * (last_stopband / cfg.first_stopband) ** exponents
    rates = np.exp2(np.ceil(np.log2(np.minimum(stopbands * 2, res))))
    half_widths = np.maximum(stopbands, rates / 2) - cutoffs
    sizes = rates + cfg.margin_size * 2
    sizes[-2:] = res
    if cfg.channels:
        channels = np.asarray(cfg.channels, dtype=np.float64)
    else:
        channels = np.rint(np.minimum((cfg.channel_base / 2) / cutoffs, cfg.channel_max))
        channels[-1] = cfg.img_channels
    inp = InputSpec(int(channels[0]), int(sizes[0]), float(rates[0]), float(cutoffs[0]))
    layers = []
    for i in range(n + 1):
        prev = max(i - 1, 0)
        torgb = i == n
        critical = i >= n - cfg.num_critical
        k = 1 if torgb else cfg.conv_kernel
        in_rate, out_rate = int(rates[prev]), int(rates[i])
        tmp_rate = max(in_rate, out_rate) * (1 if torgb else cfg.lrelu_upsampling)
        up = int(np.rint(tmp_rate / in_rate))
        down = int(np.rint(tmp_rate / out_rate))
        up_taps = cfg.filter_size * up if up > 1 and not torgb else 1
        down_taps = cfg.filter_size * down if down > 1 and not torgb else 1
        in_size, out_size = int(sizes[prev]), int(sizes[i])
        # Padding so that output sample j sits where the symmetric interpretation puts it (App. C.3).
        pad_total = (out_size - 1) * down + 1 - (in_size + k - 1) * up + up_taps + down_taps - 2
        pad_lo = (pad_total + up) // 2
        pad_hi = pad_total - pad_lo
        layers.append(
            LayerSpec(
                index=i,
                in_channels=int(channels[prev]),
                out_channels=int(channels[i]),
                in_size=in_size,
                out_size=out_size,
                in_sampling_rate=in_rate,
                out_sampling_rate=out_rate,
                in_cutoff=float(cutoffs[prev]),
                out_cutoff=float(cutoffs[i]),
                in_half_width=float(half_widths[prev]),
                out_half_width=float(half_widths[i]),
                is_torgb=torgb,
                is_critically_sampled=critical,
                conv_kernel=k,
                up=up,
                down=down,
                up_taps=up_taps,
                down_taps=down_taps,
                down_radial=bool(cfg.use_radial_filters and not critical),
                padding=(pad_lo, pad_hi, pad_lo, pad_hi),
            )
        )
    return inp, layers


__all__ = ["InputSpec", "LayerSpec", "plan"]
