"""Inference forms of the StyleGAN2 synthesis layers: the style goes into the weights, not the pixels.

At inference a modulated convolution is cheapest with per-sample weights (NVlabs' ``fused_modconv``):
``W * s`` and its demodulation are small ([N, O, I, k, k]), while modulating and demodulating the
activations costs two passes over the largest tensors of the network. The constant factors that
follow the convolution are folded in as well, since ``lrelu(g·x) = g·lrelu(x)`` for ``g > 0``: the
activation gain √2 and the up-sampling filter's gain go into the weights, the bias into the
convolution (or the up-sampling filter's convolution), and what remains is one in-place noise add,
one in-place leaky ReLU and one in-place clamp. Activations keep the memory format they come in
(channels-last is the fast one on CPUs, see :func:`prefer_channels_last`).

Without autograd (``torch.inference_mode``/``no_grad``) the element-wise tail runs in place; with it
(e.g. projection, which back-propagates through the generator) the same arithmetic runs out of place.
The results equal :func:`engine.nn.modconv.modulated_conv2d` followed by noise, bias, leaky ReLU·√2
and clamp up to float rounding.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections.abc import Iterator

import torch
import torch.nn.functional as F

from engine.nn.fir import upfirdn2d

LRELU_GAIN = math.sqrt(2.0)


def prefer_channels_last(x: torch.Tensor) -> bool:
    """Whether synthesis should run channels-last for ``x``: on the CPU (oneDNN's native layout, no
    reorder around every convolution) for one image at a time."""
    return x.device.type == "cpu" and x.shape[0] == 1


def modulated_weights(
    weight: torch.Tensor,
    styles: torch.Tensor,
    demodulate: bool,
    scale: float = 1.0,
    wsq: torch.Tensor | None = None,
) -> torch.Tensor:
    """Per-sample weights ``W * s`` [N, O, I, k, k] (demodulated per output channel), times ``scale``;
    in float32. The demodulation ``rsqrt(Σ (W·s)² + 1e-8)`` is computed as ``s² @ Σ_k W²`` (``wsq``
    [O, I] = ``Σ_k W²`` when the caller has it), so the weights are read once and written once."""
    if weight.ndim != 4 or styles.ndim != 2 or styles.shape[1] != weight.shape[1]:
        raise ValueError(f"modulated weights: weight {tuple(weight.shape)}, styles {tuple(styles.shape)}")
    s = styles.float()
    coef = s.unsqueeze(1)  # [N, 1, I]
    if demodulate:
        if wsq is None:
            wsq = weight_energy(weight)
        d = (s.square() @ wsq.t() + 1e-8).rsqrt()  # [N, O]
        coef = coef * d.unsqueeze(2)  # [N, O, I]
    if scale != 1.0:
        coef = coef * scale
    return weight.float().unsqueeze(0) * coef.unsqueeze(-1).unsqueeze(-1)


def weight_energy(weight: torch.Tensor) -> torch.Tensor:
    """``Σ_k W²`` [O, I] of a conv weight [O, I, k, k], in float32 (what demodulation needs)."""
    return weight.float().square().sum(dim=[2, 3])


def _grouped(x: torch.Tensor, w: torch.Tensor, transposed: bool) -> tuple[torch.Tensor, torch.Tensor, int]:
    """``x`` as one image of N·I channels and ``w`` as the matching grouped weight (N groups)."""
    n, i, h, wd = x.shape
    _, o, _, k, k2 = w.shape
    if n == 1:
        return x, (w[0].transpose(0, 1) if transposed else w[0]), 1
    xg = x.reshape(1, n * i, h, wd)
    wg = w.transpose(1, 2).reshape(n * i, o, k, k2) if transposed else w.reshape(n * o, i, k, k2)
    return xg, wg, n


def modconv_inference(
    x: torch.Tensor,
    weight: torch.Tensor,
    styles: torch.Tensor,
    *,
    demodulate: bool = True,
    up: int = 1,
    resample_filter: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
    scale: float = 1.0,
    wsq: torch.Tensor | None = None,
) -> torch.Tensor:
    """``scale · modconv(x) + bias``; ``up=2`` is the transposed convolution followed by the FIR filter
    (gain 4) of StyleGAN2.

    ``x`` [N, I, H, W], ``weight`` [O, I, k, k] (gains applied, or folded into ``styles``), ``styles``
    [N, I]; returns [N, O, H·up, W·up] in ``x``'s memory format, in the :func:`compute_dtype` when one
    is set (else ``x``'s dtype). ``wsq``: ``weight_energy(weight)``, when the caller keeps it.

    Where the activations outweigh the weights (high resolutions) the style goes into per-sample
    weights (one convolution, the bias added by it or by the filter's convolution); where the weights
    outweigh the activations (the 512-channel layers at low resolution) the activations are scaled
    instead, so the weights are never copied.
    """
    n, i, h, wd = x.shape
    o, i2, kh, kw = weight.shape
    if i != i2 or styles.shape != (n, i):
        raise ValueError(
            f"modconv shapes: x {tuple(x.shape)}, weight {tuple(weight.shape)}, styles {tuple(styles.shape)}"
        )
    if up > 1 and resample_filter is None:
        raise ValueError("up-sampling modconv needs a resample filter")
    dt = _compute.dtype if getattr(_compute, "dtype", None) is not None and x.is_floating_point() else x.dtype
    if x.dtype != dt:
        x = x.to(dt)
    gain = scale * (up * up if up > 1 else 1)
    fused = weight.numel() <= i * h * wd + o * h * wd * up * up
    b = None if bias is None else (bias.float() * scale).to(dt)
    if fused:
        w = modulated_weights(weight, styles, demodulate, gain, wsq).to(dt)
        b_all = None if b is None else (b.repeat(n) if n > 1 else b)
        if up == 1:
            xg, wg, groups = _grouped(x, w, transposed=False)
            y = F.conv2d(xg, wg, b_all, padding=kh // 2, groups=groups)
        else:
            xg, wg, groups = _grouped(x, w, transposed=True)
            y = _fir(F.conv_transpose2d(xg, wg, stride=up, groups=groups), resample_filter, up, kw, b_all)
        return y.reshape(n, o, *y.shape[2:]) if n > 1 else y
    s = styles.float()
    xs = x * s.reshape(n, i, 1, 1).to(dt)
    w = weight.to(dt)
    if up == 1:
        y = F.conv2d(xs, w, padding=kh // 2)
    else:
        y = _fir(F.conv_transpose2d(xs, w.transpose(0, 1), stride=up), resample_filter, up, kw, None)
    coef = torch.full((n, o), gain, dtype=torch.float32, device=x.device)
    if demodulate:
        wsq = weight_energy(weight) if wsq is None else wsq
        coef = coef * (s.square() @ wsq.t() + 1e-8).rsqrt()
    coef = coef.to(dt).reshape(n, o, 1, 1)
    if b is None:
        return y.mul_(coef) if not torch.is_grad_enabled() else y * coef
    return torch.addcmul(b.reshape(1, o, 1, 1), y, coef)


def _fir(y: torch.Tensor, resample_filter: torch.Tensor, up: int, kw: int, bias: torch.Tensor | None) -> torch.Tensor:
    """The FIR filter after a stride-``up`` transposed convolution with a ``kw``-wide kernel (its output
    exactly ``up`` times the input), plus ``bias``."""
    fw = resample_filter.shape[-1]
    pad = (fw - up) - (kw - 1)
    p0, p1 = (pad + 1) // 2 + up - 1, pad // 2 + 1
    c = y.shape[1]
    if p0 == p1 and p0 >= 0:
        f = resample_filter.flip([0, 1]).to(dtype=y.dtype, device=y.device)[None, None].expand(c, 1, fw, fw)
        if y.is_contiguous(memory_format=torch.channels_last):
            f = f.contiguous(memory_format=torch.channels_last)
        return F.conv2d(y, f, bias, padding=p0, groups=c)
    y = upfirdn2d(y, resample_filter, padding=(p0, p1, p0, p1))
    return y + bias.reshape(1, -1, 1, 1) if bias is not None else y


_compute = threading.local()


@contextlib.contextmanager
def compute_dtype(dtype: torch.dtype | None) -> Iterator[None]:
    """Within the block (this thread), the synthesis convolutions and what follows them run in
    ``dtype`` (e.g. ``torch.bfloat16`` on CPUs with native bf16 dot products); styles, demodulation
    and the accumulated image stay float32. None: the activations' own dtype."""
    previous = getattr(_compute, "dtype", None)
    _compute.dtype = dtype
    try:
        yield
    finally:
        _compute.dtype = previous


def lrelu_tail(x: torch.Tensor, noise: torch.Tensor | None, clamp: float | None) -> torch.Tensor:
    """``clamp(leaky_relu(x + noise, 0.2))`` — in place when autograd is off. ``noise`` broadcasts
    ([1 or N, 1, H, W]) and already carries its strength and the folded gain."""
    if torch.is_grad_enabled():
        if noise is not None:
            x = x + noise.to(x.dtype)
        x = F.leaky_relu(x, 0.2)
        return x.clamp(-clamp, clamp) if clamp is not None else x
    if noise is not None:
        x.add_(noise.to(x.dtype))
    F.leaky_relu_(x, 0.2)
    if clamp is not None:
        x.clamp_(-clamp, clamp)
    return x


def add_(acc: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``acc + y``, accumulating into ``acc`` when autograd is off."""
    if torch.is_grad_enabled():
        return acc + y
    return acc.add_(y)


__all__ = [
    "LRELU_GAIN",
    "add_",
    "lrelu_tail",
    "modconv_inference",
    "modulated_weights",
    "prefer_channels_last",
    "weight_energy",
]
