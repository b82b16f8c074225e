"""The user's input transform of StyleGAN3-style generators: translate and rotate the output image.

StyleGAN3's synthesis input samples Fourier features through a 3×3 matrix (its ``transform``
buffer) that maps output-image coordinates to input coordinates, so it is the *inverse* of how the
user wants the image to move. NVlabs' ``gen_images.py`` and its visualizer (equivariance widget)
build the user matrix ``m = [[cos a, sin a, x], [-sin a, cos a, y], [0, 0, 1]]`` from a translation
``(x, y)`` and an angle ``a`` in degrees, and store ``inv(m)``. :class:`InputTransform` follows
exactly that convention, so the same numbers give the same image as those tools.

Translations are in image widths: the output image spans [-0.5, 0.5] in the input's coordinates,
so a translation of 0.1 moves the content by a tenth of the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


def user_matrix(translate: tuple[float, float] = (0.0, 0.0), rotate: float = 0.0) -> np.ndarray:
    """The user matrix [3, 3] (float64) for ``translate`` (x, y) and ``rotate`` degrees, as NVlabs'
    ``gen_images.make_transform`` builds it."""
    a = math.radians(float(rotate))
    s, c = math.sin(a), math.cos(a)
    x, y = (float(v) for v in translate)
    return np.array([[c, s, x], [-s, c, y], [0.0, 0.0, 1.0]], dtype=np.float64)


@dataclass(frozen=True)
class InputTransform:
    """Translate (``translate_x``, ``translate_y``) and rotate (``rotate`` degrees) the output image.

    Frozen and hashable, so a render request can carry it. :meth:`matrix` is the value of the
    synthesis input's ``transform`` (the inverted user matrix).
    """

    translate_x: float = 0.0
    translate_y: float = 0.0
    rotate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("translate_x", "translate_y", "rotate"):
            if not math.isfinite(float(getattr(self, name))):
                raise ValueError(f"input transform {name} must be a finite number")

    @property
    def is_identity(self) -> bool:
        return self.translate_x == 0 and self.translate_y == 0 and self.rotate % 360 == 0

    def user_matrix(self) -> np.ndarray:
        """The user matrix [3, 3] (float64; see :func:`user_matrix`)."""
        return user_matrix((self.translate_x, self.translate_y), self.rotate)

    def matrix(self, device: torch.device | str | None = None) -> torch.Tensor:
        """The synthesis input's ``transform`` [3, 3] float32: ``inv(user matrix)`` computed in float64."""
        return torch.from_numpy(np.linalg.inv(self.user_matrix())).to(dtype=torch.float32, device=device)


def as_matrix(transform: InputTransform | torch.Tensor | np.ndarray, device: torch.device | str) -> torch.Tensor:
    """A transform given as :class:`InputTransform` or as a matrix ([3, 3] or per sample [N, 3, 3])
    → float32 tensor on ``device``."""
    if isinstance(transform, InputTransform):
        return transform.matrix(device)
    m = torch.as_tensor(np.asarray(transform) if isinstance(transform, np.ndarray) else transform)
    if m.shape[-2:] != (3, 3) or m.ndim not in (2, 3):
        raise ValueError(f"input transform must be [3, 3] or [N, 3, 3], got {tuple(m.shape)}")
    return m.to(dtype=torch.float32, device=device)


__all__ = ["InputTransform", "as_matrix", "user_matrix"]
