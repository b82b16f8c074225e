"""Equalised-learning-rate layers: weights stored at unit scale, gains applied at run time."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

lrelu_gain = math.sqrt(2.0)


def bias_lrelu(x: torch.Tensor, bias: torch.Tensor | None, clamp: float | None = None) -> torch.Tensor:
    """``leaky_relu(x + b, 0.2) * sqrt(2)``, optionally clamped to ±clamp (channel dim 1)."""
    if bias is not None:
        shape = [1, -1] + [1] * (x.ndim - 2)
        x = x + bias.reshape(shape)
    x = F.leaky_relu(x, 0.2) * lrelu_gain
    if clamp is not None:
        x = x.clamp(-clamp, clamp)
    return x


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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from engine.nn.fir import upfirdn2d

        w = self.weight * self.weight_gain
        if self.down > 1:
            # Blur then strided conv (the StyleGAN2 discriminator's downsampling conv).
            k = w.shape[-1]
            fw = self.resample_filter.shape[-1]
            p = (fw - self.down) + (k - 1)
            x = upfirdn2d(x, self.resample_filter, padding=((p + 1) // 2, p // 2, (p + 1) // 2, p // 2))
            x = F.conv2d(x, w, stride=self.down)
        else:
            x = F.conv2d(x, w, padding=self.padding)
        if self.activation == "lrelu":
            return bias_lrelu(x, self.bias, self.clamp)
        if self.bias is not None:
            x = x + self.bias.reshape(1, -1, 1, 1)
        return x
