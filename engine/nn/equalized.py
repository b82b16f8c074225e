"""Equalised-learning-rate layers: weights stored at unit scale, gains applied at run time."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

lrelu_gain = math.sqrt(2.0)


def bias_lrelu(
    x: torch.Tensor,
    bias: torch.Tensor | None,
    clamp: float | None = None,
    scale: torch.Tensor | None = None,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    """``leaky_relu(x * scale + noise + b, 0.2) * sqrt(2)``, optionally clamped to ±clamp (channel dim 1).

    ``scale`` [N, C] (per sample and channel, e.g. demodulation) and ``noise`` (broadcast to ``x``) are
    optional. Since ``leaky_relu(a) * g = leaky_relu(a * g)`` for ``g > 0``, the gain is folded into the
    small operands and the whole is two passes over ``x`` (three with noise), in ``x``'s dtype."""
    g = lrelu_gain
    if x.ndim == 4 and scale is not None and x.stride(1) == 1 and x.shape[1] > 1:
        y = _channels_last_epilogue(x, scale * g, None if bias is None else bias * g, noise, g)
        y = F.leaky_relu_(y, 0.2)
        return y.clamp(-clamp, clamp) if clamp is not None else y
    shape = [1, -1] + [1] * (x.ndim - 2)
    b = None if bias is None else (bias * g).to(x.dtype).reshape(shape)
    if scale is not None:
        s = (scale * g).to(x.dtype).reshape(*scale.shape, *[1] * (x.ndim - 2))
        y = torch.addcmul(b, x, s) if b is not None else x * s
    else:
        y = torch.add(b, x, alpha=g) if b is not None else x * g
    if noise is not None:
        y = y.add_(noise.to(x.dtype), alpha=g)
    y = F.leaky_relu_(y, 0.2)
    if clamp is not None:
        y = y.clamp(-clamp, clamp)
    return y


def _channels_last_epilogue(
    x: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor | None, noise: torch.Tensor | None, g: float
) -> torch.Tensor:
    """``x * scale + bias + noise * g`` for a channels-last ``x`` [N, C, H, W]: the bias and the noise (broadcast
    over C, the innermost dimension, which elementwise kernels handle slowly in bfloat16) are added as one
    batched rank-2 product ``[noise, 1] @ [1, bias]`` onto ``x * scale`` viewed as [N, H*W, C]."""
    n, c, h, w = x.shape
    dt = x.dtype
    m = (x * scale.to(dt).reshape(n, c, 1, 1)).permute(0, 2, 3, 1).reshape(n, h * w, c)
    cols, rows = [], []
    if noise is not None:
        cols.append((noise * g).to(dt).expand(n, 1, h, w).reshape(n, h * w))
        rows.append(torch.ones(n, c, dtype=dt, device=x.device))
    if bias is not None:
        cols.append(torch.ones(n, h * w, dtype=dt, device=x.device))
        rows.append(bias.to(dt).reshape(1, c).expand(n, c))
    if cols:
        m = torch.baddbmm(m, torch.stack(cols, 2), torch.stack(rows, 1))
    return m.reshape(n, h, w, c).permute(0, 3, 1, 2)


class EqualLinear(nn.Module):
    """Linear layer with equalised lr: ``x @ (W * gain*lr/sqrt(in)).T + b * lr``, then optional lrelu·√2.

    ``gain`` is the He gain folded into the weight scale (√2 in ProGAN, where activations carry no gain).

    Stored weights are ``randn / lr_mul`` at init; the stored bias is the effective bias / lr_mul.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        bias_init: float = 0.0,
        lr_mul: float = 1.0,
        activation: str | None = None,
        gain: float = 1.0,
    ) -> None:
        super().__init__()
        if activation not in (None, "lrelu"):
            raise ValueError(f"unknown activation {activation!r}")
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init))) if bias else None
        self.lr_mul = lr_mul
        self.weight_gain = gain * lr_mul / math.sqrt(in_features)
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.bias * self.lr_mul if self.bias is not None else None
        if x.numel() < self.weight.numel():  # few rows (a style affine): scale the output, not the weight
            y = F.linear(x, self.weight) * self.weight_gain
            y = y + b if b is not None else y
            return bias_lrelu(y, None) if self.activation == "lrelu" else y
        w = self.weight * self.weight_gain
        if self.activation == "lrelu":
            return bias_lrelu(F.linear(x, w), b)
        return F.linear(x, w, b)

    def extra_repr(self) -> str:
        o, i = self.weight.shape
        return f"in={i}, out={o}, lr_mul={self.lr_mul}, activation={self.activation}"


class EqualConv2d(nn.Module):
    """Conv layer with equalised lr (``W * gain / sqrt(in*k*k)``), optional FIR downsampling and lrelu·√2."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        bias: bool = True,
        activation: str | None = None,
        down: int = 1,
        resample_filter: torch.Tensor | None = None,
        clamp: float | None = None,
        gain: float = 1.0,
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = gain / math.sqrt(in_channels * kernel_size * kernel_size)
        self.activation = activation
        self.down = down
        self.padding = kernel_size // 2
        self.clamp = clamp
        if down > 1:
            from engine.nn.fir import make_fir

            self.register_buffer("resample_filter", resample_filter if resample_filter is not None else make_fir())
        else:
            self.resample_filter = None

    def forward(self, x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
        """The layer's output times ``gain`` (> 0; the clamp, if any, scales with it)."""
        from engine.nn.fir import upfirdn2d

        lrelu = self.activation == "lrelu"
        g = gain * (lrelu_gain if lrelu else 1.0)  # leaky_relu(a) * g = leaky_relu(a * g): fold g into W, b
        w = self.weight * (self.weight_gain * g)
        b = None if self.bias is None else self.bias * g
        if self.down > 1:
            # Blur then strided conv (the StyleGAN2 discriminator's downsampling conv).
            k = w.shape[-1]
            fw = self.resample_filter.shape[-1]
            p = (fw - self.down) + (k - 1)
            x = upfirdn2d(x, self.resample_filter, padding=((p + 1) // 2, p // 2, (p + 1) // 2, p // 2))
            x = F.conv2d(x, w, b, stride=self.down)
        else:
            x = F.conv2d(x, w, b, padding=self.padding)
        if lrelu:
            x = F.leaky_relu_(x, 0.2)
        if self.clamp is not None and lrelu:
            x = x.clamp(-self.clamp * gain, self.clamp * gain)
        return x
