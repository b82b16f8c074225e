"""Latent arithmetic: interpolation (lerp/slerp)."""

from __future__ import annotations

import torch


def lerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Linear interpolation ``a + t (b - a)``."""
    return a + (b - a) * t


def slerp(a: torch.Tensor, b: torch.Tensor, t: float, eps: float = 1e-7) -> torch.Tensor:
    """Spherical interpolation along the last dim (falls back to lerp for parallel vectors)."""
    an = a / a.norm(dim=-1, keepdim=True).clamp_min(eps)
    bn = b / b.norm(dim=-1, keepdim=True).clamp_min(eps)
    dot = (an * bn).sum(-1, keepdim=True).clamp(-1 + eps, 1 - eps)
    omega = torch.acos(dot)
    so = torch.sin(omega)
    if float(so.abs().min()) < 1e-5:
        return lerp(a, b, t)
    return (torch.sin((1 - t) * omega) / so) * a + (torch.sin(t * omega) / so) * b
