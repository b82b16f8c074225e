"""FIR up/down-sampling in pure torch (the ``upfirdn2d`` of StyleGAN2, without custom ops).

The filtering is a depthwise convolution; up-sampling is one depthwise transposed convolution
(zero insertion and filtering at once, so the filter runs on the input's pixels, not on the 4× as
many of the zero-stuffed image) and down-sampling a strided depthwise convolution (only the kept
pixels are computed). Both give the reference's values up to float rounding.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def make_fir(taps: Sequence[float] = (1, 3, 3, 1)) -> torch.Tensor:
    """A separable 2-D FIR filter from 1-D taps, normalised to sum 1 (shape [k, k])."""
    k = torch.as_tensor(list(taps), dtype=torch.float32)
    f = torch.outer(k, k)
    return f / f.sum()


def _depthwise(f: torch.Tensor, c: int, x: torch.Tensor, gain: float, flip: bool) -> torch.Tensor:
    w = f * gain
    if flip:
        w = w.flip([0, 1])
    return w.to(dtype=x.dtype, device=x.device)[None, None].expand(c, 1, *f.shape)


def _crop_or_pad(x: torch.Tensor, dim: int, start: int, length: int) -> torch.Tensor:
    """``x`` along ``dim`` from index ``start`` for ``length`` elements, zeros where that leaves ``x``."""
    size = x.shape[dim]
    before, after = max(-start, 0), max(start + length - size, 0)
    if before or after:
        pad = [0, 0] * (x.ndim - 1 - dim) + [before, after]
        x = F.pad(x, pad)
        start += before
    return x.narrow(dim, start, length)


def upfirdn2d(
    x: torch.Tensor,
    f: torch.Tensor,
    up: int = 1,
    down: int = 1,
    padding: tuple[int, int, int, int] = (0, 0, 0, 0),
    gain: float = 1.0,
) -> torch.Tensor:
    """Upsample by zero insertion, pad (x0, x1, y0, y1; negative crops), filter, downsample.

    ``f`` is a 2-D filter [fh, fw]; it is flipped, as the reference implementations do, and
    multiplied by ``gain``.
    """
    if x.ndim != 4:
        raise ValueError(f"upfirdn2d expects NCHW, got shape {tuple(x.shape)}")
    if f.ndim != 2:
        raise ValueError(f"upfirdn2d expects a 2-D filter, got shape {tuple(f.shape)}")
    n, c, h, w = x.shape
    px0, px1, py0, py1 = padding
    fh, fw = f.shape
    if up > 1:
        # The transposed convolution ct[m] = sum_i x[i] f[m - up*i] is the zero-stuffed image convolved
        # with f; the reference's output j is ct[j + k - 1 - p0] (per axis, zero outside ct).
        oh, ow = h * up + py0 + py1 - fh + 1, w * up + px0 + px1 - fw + 1
        sy, sx = fh - 1 - py0, fw - 1 - px0
        full_h, full_w = (h - 1) * up + fh, (w - 1) * up + fw
        weight = _depthwise(f, c, x, gain, flip=False)
        if sy == sx and sy >= 0 and full_h - oh == 2 * sy and full_w - ow == 2 * sx:  # symmetric crop
            x = F.conv_transpose2d(x, weight, stride=up, padding=sy, groups=c)
        else:
            x = F.conv_transpose2d(x, weight, stride=up, groups=c)
            x = _crop_or_pad(_crop_or_pad(x, 2, sy, oh), 3, sx, ow)
        return x[:, :, ::down, ::down] if down > 1 else x
    if px0 < 0 or px1 < 0 or py0 < 0 or py1 < 0:
        x = x[:, :, max(-py0, 0) : h - max(-py1, 0), max(-px0, 0) : w - max(-px1, 0)]
    if max(px0, px1, py0, py1) > 0:
        x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    return F.conv2d(x, _depthwise(f, c, x, gain, flip=True), stride=down, groups=c)


def upsample2d(x: torch.Tensor, f: torch.Tensor, up: int = 2) -> torch.Tensor:
    """Upsample by ``up`` with FIR filter ``f`` (gain up², output exactly ``up`` times larger)."""
    fw = f.shape[-1]
    p0 = (fw + up - 1) // 2
    p1 = (fw - up) // 2
    return upfirdn2d(x, f, up=up, padding=(p0, p1, p0, p1), gain=up * up)


def downsample2d(x: torch.Tensor, f: torch.Tensor, down: int = 2) -> torch.Tensor:
    """Downsample by ``down`` with FIR filter ``f``."""
    fw = f.shape[-1]
    p0 = (fw - down + 1) // 2
    p1 = (fw - down) // 2
    return upfirdn2d(x, f, down=down, padding=(p0, p1, p0, p1))


def blur2d(x: torch.Tensor, f: torch.Tensor, pad: tuple[int, int], gain: float = 1.0) -> torch.Tensor:
    """Filter with ``f`` and symmetric-per-axis padding ``pad`` = (before, after)."""
    return upfirdn2d(x, f, padding=(pad[0], pad[1], pad[0], pad[1]), gain=gain)
