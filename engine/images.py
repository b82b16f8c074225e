"""Reading image files and fitting them to a model's input: square crop, size, channels, [-1, 1]."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError


def read_image(path: str | Path) -> Image.Image:
    """Open an image file fully (raises ValueError with a one-line reason when it is not one)."""
    p = Path(path)
    if not p.is_file():
        raise ValueError(f"'{p.name}' is not a file")
    try:
        with Image.open(p) as im:
            im.load()
            return im.copy()
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise ValueError(f"'{p.name}' is not a readable image ({e.__class__.__name__})") from e


def fit_image(image: Image.Image, size: int, channels: int) -> np.ndarray:
    """Centre-crop to a square, resize to ``size``² and convert to ``channels`` (1 or 3): uint8 HWC."""
    if channels not in (1, 3):
        raise ValueError(f"can only fit images to 1 or 3 channels, got {channels}")
    if size < 1:
        raise ValueError(f"size must be positive, got {size}")
    im = image
    if im.mode in ("RGBA", "LA", "P", "PA"):  # composite transparency onto white
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, rgba)
    im = im.convert("L" if channels == 1 else "RGB")
    w, h = im.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    im = im.crop((left, top, left + s, top + s)).resize((size, size), Image.Resampling.LANCZOS)
    a = np.array(im, dtype=np.uint8)
    return a[:, :, None] if a.ndim == 2 else a


def to_tensor(image: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 HWC → float [1, C, H, W] in [-1, 1]."""
    if image.ndim != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 HWC image, got {image.dtype} {image.shape}")
    x = torch.from_numpy(np.array(image, copy=True)).to(device).permute(2, 0, 1)[None].float()
    return x / 127.5 - 1.0
