"""Latent interpolation (lerp/slerp) and moving a latent along stored directions."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


def _check_pair(a: torch.Tensor, b: torch.Tensor, t: float) -> None:
    if a.shape != b.shape:
        raise ValueError(f"cannot interpolate latents of shapes {tuple(a.shape)} and {tuple(b.shape)}")
    if a.ndim < 1:
        raise ValueError("latents need at least one dimension")
    if not math.isfinite(float(t)):
        raise ValueError(f"interpolation t must be finite, got {t}")


def lerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Linear interpolation ``a + t (b - a)`` of two latents of the same shape."""
    _check_pair(a, b, t)
    return a + (b - a) * t


def slerp(a: torch.Tensor, b: torch.Tensor, t: float, eps: float = 1e-7) -> torch.Tensor:
    """Spherical interpolation along the last dim (lerp for vectors that are parallel).

    ``sin((1-t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b`` with Ω the angle between ``a`` and ``b``; at
    t = 0 it is ``a`` and at t = 1 it is ``b``, and norms in between follow the great circle.
    Every vector along the other dims is blended on its own (e.g. each style layer of a W+ latent
    [N, num_ws, w_dim]), the parallel fallback included.
    """
    _check_pair(a, b, t)
    an = a / a.norm(dim=-1, keepdim=True).clamp_min(eps)
    bn = b / b.norm(dim=-1, keepdim=True).clamp_min(eps)
    dot = (an * bn).sum(-1, keepdim=True).clamp(-1 + eps, 1 - eps)
    omega = torch.acos(dot)
    so = torch.sin(omega)
    parallel = so.abs() < 1e-5
    safe = torch.where(parallel, torch.ones_like(so), so)
    spherical = (torch.sin((1 - t) * omega) / safe) * a + (torch.sin(t * omega) / safe) * b
    return torch.where(parallel, a + (b - a) * t, spherical)


INTERPOLATORS = {"lerp": lerp, "slerp": slerp}


def interpolate(a: torch.Tensor, b: torch.Tensor, t: float, method: str = "slerp") -> torch.Tensor:
    """``lerp`` or ``slerp`` by name."""
    try:
        fn = INTERPOLATORS[method]
    except KeyError:
        raise ValueError(f"interpolation method must be one of {tuple(INTERPOLATORS)}, got {method!r}") from None
    return fn(a, b, t)


def move_along(z: torch.Tensor, components: torch.Tensor, std: torch.Tensor, offsets: Sequence[float]) -> torch.Tensor:
    """``z + Σ_k offsets[k] · std[k] · components[k]``.

    ``z`` [N, D]; ``components`` [K, D] (unit directions); ``std`` [K]; ``offsets`` K values, in
    standard deviations along each direction.
    """
    if components.ndim != 2 or z.ndim != 2 or components.shape[1] != z.shape[1]:
        raise ValueError(f"components {tuple(components.shape)} do not fit latents {tuple(z.shape)}")
    k = components.shape[0]
    if std.shape != (k,):
        raise ValueError(f"std must have shape ({k},), got {tuple(std.shape)}")
    if len(offsets) != k:
        raise ValueError(f"need {k} direction offsets, got {len(offsets)}")
    o = torch.tensor([float(v) for v in offsets], dtype=z.dtype, device=z.device)
    delta = (o * std.to(z.dtype)) @ components.to(z.dtype)
    return z + delta
