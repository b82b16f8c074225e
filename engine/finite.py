"""Noticing frames that are not finite: NaN/inf weights or settings (``--psi nan``) render black
after the uint8 conversion, which looks like a valid image. Check the float images before that
conversion and warn (status bar, stderr) with :data:`NONFINITE_WARNING`."""

from __future__ import annotations

import torch

NONFINITE_WARNING = (
    "the model produced NaN/inf values, shown as black: its weights or the settings (e.g. psi) are not finite"
)


def all_finite(images: torch.Tensor) -> bool:
    """Whether every value of ``images`` is finite (one device sync)."""
    return bool(torch.isfinite(images).all())


def nonfinite_fraction(images: torch.Tensor) -> float:
    """The fraction of values of ``images`` that are NaN or ±inf (0.0 for an empty tensor)."""
    n = images.numel()
    return 0.0 if n == 0 else float((~torch.isfinite(images)).sum()) / n


__all__ = ["NONFINITE_WARNING", "all_finite", "nonfinite_fraction"]
