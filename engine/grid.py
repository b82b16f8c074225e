"""Tiling images into a grid: the one rule for how many rows and columns ``n`` images take."""

from __future__ import annotations

import math

import numpy as np


def grid_shape(n: int, cols: int | None = None) -> tuple[int, int]:
    """(rows, cols) of a grid for ``n`` cells, filled row by row; ``cols`` defaults to ceil(sqrt(n))
    and is capped at ``n``."""
    if n <= 0:
        raise ValueError("no images to put in a grid")
    if cols is None:
        cols = math.ceil(math.sqrt(n))
    if cols <= 0:
        raise ValueError(f"a grid needs at least 1 column, got {cols}")
    cols = min(cols, n)
    return math.ceil(n / cols), cols


def make_grid(images: np.ndarray, cols: int | None = None) -> np.ndarray:
    """Tile NHWC images row by row into one HWC image (empty cells are zero); see :func:`grid_shape`."""
    if images.ndim != 4:
        raise ValueError(f"expected NHWC images, got shape {images.shape}")
    n, h, w, c = images.shape
    rows, cols = grid_shape(n, cols)
    grid = np.zeros((rows * h, cols * w, c), dtype=images.dtype)
    for i in range(n):
        r, k = divmod(i, cols)
        grid[r * h : (r + 1) * h, k * w : (k + 1) * w] = images[i]
    return grid


__all__ = ["grid_shape", "make_grid"]
