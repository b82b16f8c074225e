"""Tiling images into a grid: the one rule for how many rows and columns ``n`` images take."""

from __future__ import annotations

import math

import numpy as np

from engine.limits import check_output_frame


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


class GridCanvas:
    """A grid filled tile by tile, for images that arrive in batches: the uint8 canvas is allocated
    once, after its size is checked against :func:`engine.limits.check_output_frame` (so an absurd
    grid is refused before anything is rendered), and each batch is copied into its cells."""

    def __init__(self, n: int, height: int, width: int, channels: int, cols: int | None = None) -> None:
        self.n, self.h, self.w, self.c = n, height, width, channels
        self.rows, self.cols = grid_shape(n, cols)
        check_output_frame(self.rows * height, self.cols * width, channels, what=f"a grid of {n} images")
        self.image = np.zeros((self.rows * height, self.cols * width, channels), np.uint8)

    def put(self, start: int, images: np.ndarray) -> None:
        """Copy uint8 NHWC ``images`` into cells ``start``, ``start + 1``, …"""
        if images.ndim != 4 or images.shape[1:] != (self.h, self.w, self.c) or images.dtype != np.uint8:
            raise ValueError(f"expected uint8 N×{self.h}×{self.w}×{self.c} tiles, got {images.dtype} {images.shape}")
        if start < 0 or start + images.shape[0] > self.n:
            raise ValueError(f"cells {start}..{start + images.shape[0] - 1} outside 0..{self.n - 1}")
        for i, tile in enumerate(images, start):
            r, k = divmod(i, self.cols)
            self.image[r * self.h : (r + 1) * self.h, k * self.w : (k + 1) * self.w] = tile


__all__ = ["GridCanvas", "grid_shape", "make_grid"]
