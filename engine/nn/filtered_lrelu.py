"""Alias-free resampling for StyleGAN3, in pure torch: FIR up/down-sampling and the filtered leaky ReLU.

The nonlinearity of an alias-free layer (Karras et al. 2021, "Alias-Free Generative Adversarial
Networks", §3.2) is applied at a higher sampling rate: the signal is upsampled by ``up`` (zero
insertion + low-pass filter ``fu``), passed through ``leaky_relu``, low-pass filtered with ``fd`` and
decimated by ``down``. Filters are 1-D (separable, applied along x then y) or 2-D (e.g. the radially
symmetric filters of config R).

The resampling follows the ``upfirdn2d`` convention (upsample by zero insertion, pad by
``(x0, x1, y0, y1)`` where negative values crop, convolve with the filter, keep every ``down``-th
sample) but is computed without multiplying zeros: upsampling is a strided transposed convolution
(polyphase) and downsampling a strided convolution. Both give the same sums as the zero-insertion
form, in another order.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F


def design_lowpass_filter(
    numtaps: int, cutoff: float, width: float, fs: float, radial: bool = False
) -> torch.Tensor | None:
    """A Kaiser-windowed low-pass FIR filter (None for ``numtaps == 1``, the identity).

    Separable filters are 1-D ``[numtaps]`` (``scipy.signal.firwin`` with transition ``width``);
    ``radial`` filters are 2-D ``[numtaps, numtaps]``: a jinc (the ideal circular low-pass) under a
    separable Kaiser window, normalised to sum 1.
    """
    import scipy.signal
    import scipy.special

    if numtaps < 1:
        raise ValueError(f"numtaps must be ≥ 1, got {numtaps}")
    if numtaps == 1:
        return None
    if not radial:
        f = scipy.signal.firwin(numtaps=numtaps, cutoff=cutoff, width=width, fs=fs)
        return torch.as_tensor(f, dtype=torch.float32)
    x = (np.arange(numtaps) - (numtaps - 1) / 2) / fs
    r = np.hypot(*np.meshgrid(x, x))
    f = scipy.special.j1(2 * cutoff * (np.pi * r)) / (np.pi * r)
    beta = scipy.signal.kaiser_beta(scipy.signal.kaiser_atten(numtaps, width / (fs / 2)))
    w = np.kaiser(numtaps, beta)
    f *= np.outer(w, w)
    f /= np.sum(f)
    return torch.as_tensor(f, dtype=torch.float32)


def _crop_or_pad(x: torch.Tensor, dim: int, start: int, length: int) -> torch.Tensor:
    """``x`` along ``dim`` from index ``start`` for ``length`` samples; outside the tensor is zero."""
    n = x.shape[dim]
    lo, hi = start, start + length
    pad_lo, pad_hi = max(-lo, 0), max(hi - n, 0)
    x = x.narrow(dim, max(lo, 0), min(hi, n) - max(lo, 0))
    if pad_lo or pad_hi:
        pads = [0, 0] * (x.ndim - 1 - dim) + [pad_lo, pad_hi]
        x = F.pad(x, pads)
    return x


def _up_axis(x: torch.Tensor, f: torch.Tensor, up: int, pad0: int, pad1: int, axis: int) -> torch.Tensor:
    """Upsample NCHW ``x`` along ``axis`` (2 = y, 3 = x) by ``up`` with the 1-D filter ``f`` (gain
    included), then pad/crop as upfirdn2d would: output length ``n*up + pad0 + pad1 - len(f) + 1``."""
    c, n, taps = x.shape[1], x.shape[axis], f.shape[0]
    shape = (1, taps) if axis == 3 else (taps, 1)
    w = f.to(x.dtype).reshape(1, 1, *shape).expand(c, 1, *shape)
    # The transposed convolution is the full convolution of the zero-inserted signal (polyphase:
    # no multiplications by the inserted zeros); upfirdn2d's output starts at sample taps-1-pad0.
    y = F.conv_transpose2d(x, w, stride=(1, up) if axis == 3 else (up, 1), groups=c)
    return _crop_or_pad(y, axis, taps - 1 - pad0, n * up + pad0 + pad1 - taps + 1)


def upfirdn2d(
    x: torch.Tensor,
    f: torch.Tensor | None,
    up: int = 1,
    down: int = 1,
    padding: tuple[int, int, int, int] = (0, 0, 0, 0),
    gain: float = 1.0,
) -> torch.Tensor:
    """Upsample by ``up`` (zero insertion), pad ``(x0, x1, y0, y1)`` (negative crops), convolve with
    ``f`` (1-D separable ``[k]`` or 2-D ``[k, k]``; None is the identity) times ``gain``, keep every
    ``down``-th sample. Same result as the reference upfirdn2d (without flip_filter)."""
    if x.ndim != 4:
        raise ValueError(f"upfirdn2d expects NCHW, got shape {tuple(x.shape)}")
    if up < 1 or down < 1:
        raise ValueError(f"up and down must be ≥ 1, got {up}, {down}")
    px0, px1, py0, py1 = padding
    if f is None:
        f = torch.ones(1, 1, dtype=torch.float32, device=x.device)
    if f.ndim not in (1, 2):
        raise ValueError(f"filter must be 1-D or 2-D, got shape {tuple(f.shape)}")
    f = f.to(device=x.device)
    c = x.shape[1]
    if x.shape[3] * up + px0 + px1 < f.shape[-1] or x.shape[2] * up + py0 + py1 < f.shape[0]:
        raise ValueError(
            f"upfirdn2d: {tuple(x.shape[2:])} input (up {up}, padding {padding}) is smaller than the filter"
        )
    if f.ndim == 1:
        fg = f * (gain**0.5)
        if up > 1:
            x = _up_axis(x, fg, up, px0, px1, 3)
            x = _up_axis(x, fg, up, py0, py1, 2)
        else:
            x = _pad_crop2d(x, px0, px1, py0, py1)
            taps = fg.shape[0]
            w = fg.flip(0).to(x.dtype)
            x = F.conv2d(x, w.reshape(1, 1, 1, taps).expand(c, 1, 1, taps), stride=(1, down), groups=c)
            x = F.conv2d(x, w.reshape(1, 1, taps, 1).expand(c, 1, taps, 1), stride=(down, 1), groups=c)
            return x
        if down > 1:
            x = x[:, :, ::down, ::down]
        return x
    # 2-D filter: zero-insert, pad, one strided convolution.
    if up > 1:
        n, _, h, w_ = x.shape
        x = x.reshape(n, c, h, 1, w_, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
        x = x.reshape(n, c, h * up, w_ * up)
    x = _pad_crop2d(x, px0, px1, py0, py1)
    kh, kw = f.shape
    w = (f * gain).flip([0, 1]).to(x.dtype)
    return F.conv2d(x, w.reshape(1, 1, kh, kw).expand(c, 1, kh, kw), stride=down, groups=c)


def _pad_crop2d(x: torch.Tensor, px0: int, px1: int, py0: int, py1: int) -> torch.Tensor:
    if px0 > 0 or px1 > 0 or py0 > 0 or py1 > 0:
        x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    if px0 < 0 or px1 < 0 or py0 < 0 or py1 < 0:
        x = x[:, :, max(-py0, 0) : x.shape[2] - max(-py1, 0), max(-px0, 0) : x.shape[3] - max(-px1, 0)]
    return x


def filtered_lrelu(
    x: torch.Tensor,
    fu: torch.Tensor | None,
    fd: torch.Tensor | None,
    b: torch.Tensor | None,
    up: int = 1,
    down: int = 1,
    padding: tuple[int, int, int, int] = (0, 0, 0, 0),
    gain: float = math.sqrt(2),
    slope: float = 0.2,
    clamp: float | None = None,
) -> torch.Tensor:
    """Bias, upsample ×``up`` with ``fu`` (gain up²), ``leaky_relu(·, slope) * gain``, clamp ±``clamp``,
    then filter with ``fd`` and downsample ×``down``. ``padding`` (x0, x1, y0, y1) applies to the
    upsampled signal. Output size: ``(in*up + pad0 + pad1 - (len(fu)-1) - (len(fd)-1) + down-1) // down``.
    """
    if x.ndim != 4:
        raise ValueError(f"filtered_lrelu expects NCHW, got shape {tuple(x.shape)}")
    owned = False  # may x be changed in place (not the caller's tensor)?
    if b is not None:
        if b.shape != (x.shape[1],):
            raise ValueError(f"bias must be [{x.shape[1]}], got {tuple(b.shape)}")
        x, owned = x + b.to(x.dtype).reshape(1, -1, 1, 1), True
    # Depthwise (transposed) convolutions are several times faster on channels-last tensors on CPU.
    if not x.is_contiguous(memory_format=torch.channels_last):
        x, owned = x.contiguous(memory_format=torch.channels_last), True
    if fu is not None or up > 1 or any(padding):
        x, owned = upfirdn2d(x, fu, up=up, padding=padding, gain=up * up), True
    # The gain is folded into the (linear) down filter and the clamp scaled to match:
    # clamp(lrelu(x) * g, ±c) = clamp(lrelu(x), ±c/g) * g. In place only when autograd does not
    # need the intermediate values.
    owned = owned and not (torch.is_grad_enabled() and x.requires_grad)
    if slope != 1:
        x, owned = (F.leaky_relu_(x, slope) if owned else F.leaky_relu(x, slope)), True
    if clamp is not None:
        x = x.clamp_(-clamp / gain, clamp / gain) if owned else x.clamp(-clamp / gain, clamp / gain)
    if fd is None and down == 1:
        return x * gain if gain != 1 else x
    return upfirdn2d(x, fd, down=down, gain=gain)


__all__ = ["design_lowpass_filter", "filtered_lrelu", "upfirdn2d"]
