"""Modulated convolution with optional demodulation (StyleGAN2), non-fused form."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from engine.nn.fir import upfirdn2d


def modulated_conv2d(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    demodulate: bool = True,
    up: int = 1,
    resample_filter: torch.Tensor | None = None,
) -> torch.Tensor:
    """Convolve ``x`` [N,I,H,W] with ``weight`` [O,I,k,k] modulated per sample by ``styles`` [N,I].

    ``weight`` is the effective weight (gains already applied). With ``up=2`` the layer is a
    stride-2 transposed convolution followed by the FIR filter (gain 4), as in StyleGAN2.
    Demodulation scales each output channel by ``rsqrt(sum((W*s)^2) + 1e-8)``, computed as
    ``s^2 @ sum_k(W^2)`` (the [N, O, I, k, k] modulated weights are never formed), in float32.
    """
    n, i, h, w_ = x.shape
    o, i2, kh, kw = weight.shape
    if i != i2 or styles.shape != (n, i):
        raise ValueError(
            f"modconv shapes: x {tuple(x.shape)}, weight {tuple(weight.shape)}, styles {tuple(styles.shape)}"
        )
    x = x * styles.reshape(n, i, 1, 1).to(x.dtype)
    if up == 1:
        x = F.conv2d(x, weight.to(x.dtype), padding=kh // 2)
    else:
        if resample_filter is None:
            raise ValueError("up-sampling modconv needs a resample filter")
        x = F.conv_transpose2d(x, weight.transpose(0, 1).to(x.dtype), stride=up)
        fw = resample_filter.shape[-1]
        pad = (fw - up) - (kw - 1)
        p0 = (pad + 1) // 2 + up - 1
        p1 = pad // 2 + 1
        x = upfirdn2d(x, resample_filter, padding=(p0, p1, p0, p1), gain=up * up)
    if demodulate:
        wsq = weight.float().square().sum(dim=[2, 3])  # [O, I]
        dcoefs = ((styles.float().square().unsqueeze(1) * wsq).sum(dim=2) + 1e-8).rsqrt()  # [N, O]
        x = x * dcoefs.reshape(n, o, 1, 1).to(x.dtype)
    return x
