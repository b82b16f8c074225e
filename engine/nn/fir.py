"""FIR up/down-sampling in pure torch (the ``upfirdn2d`` of StyleGAN2, without custom ops)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def make_fir(taps: Sequence[float] = (1, 3, 3, 1)) -> torch.Tensor:
    """A separable 2-D FIR filter from 1-D taps, normalised to sum 1 (shape [k, k])."""
    k = torch.as_tensor(list(taps), dtype=torch.float32)
    f = torch.outer(k, k)
    return f / f.sum()


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
    n, c, h, w = x.shape
    if up > 1:
        x = x.reshape(n, c, h, 1, w, 1)
        x = F.pad(x, [0, up - 1, 0, 0, 0, up - 1])
        x = x.reshape(n, c, h * up, w * up)
    px0, px1, py0, py1 = padding
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0) : x.shape[2] - max(-py1, 0), max(-px0, 0) : x.shape[3] - max(-px1, 0)]
    weight = (f * gain).flip([0, 1]).to(dtype=x.dtype, device=x.device)
    weight = weight[None, None].expand(c, 1, *f.shape)
    x = F.conv2d(x, weight, groups=c)
    if down > 1:
        x = x[:, :, ::down, ::down]
    return x


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
