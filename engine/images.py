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


FITS = ("crop", "pad")
_HIGH_DEPTH = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


def to_8bit(image: Image.Image) -> Image.Image:
    """16-bit, 32-bit integer and float images → 8-bit ``L`` by scaling (PIL's own conversion clips)."""
    if image.mode not in _HIGH_DEPTH:
        return image
    a = np.asarray(image, dtype=np.float64)
    if image.mode == "F":
        top = 1.0 if a.size and np.nanmax(a) <= 1.0 else 255.0
    elif image.mode.startswith("I;16") or (a.size and a.max() > 255):
        top = 65535.0
    else:
        top = 255.0
    return Image.fromarray(np.clip(np.nan_to_num(a) / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")


def to_mode(image: Image.Image, channels: int) -> Image.Image:
    """``image`` as 8-bit ``L`` (1 channel) or ``RGB`` (3): transparency composited onto white, 16-bit
    and float images scaled to 8 bits, other modes converted."""
    im = to_8bit(image)
    if im.mode in ("RGBA", "LA", "P", "PA", "La", "RGBa"):  # composite transparency onto white
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(bg, rgba)
    return im.convert("L" if channels == 1 else "RGB")


def resize_image(image: Image.Image, width: int, height: int, channels: int) -> np.ndarray:
    """Any image as uint8 HWC of ``channels`` (see :func:`to_mode`), resized to ``width``×``height``
    (LANCZOS) unless it already is that size."""
    if channels not in (1, 3):
        raise ValueError(f"can only fit images to 1 or 3 channels, got {channels}")
    if width < 1 or height < 1:
        raise ValueError(f"size must be positive, got {width}×{height}")
    im = to_mode(image, channels)
    if im.size != (width, height):
        im = im.resize((width, height), Image.Resampling.LANCZOS)
    a = np.array(im, dtype=np.uint8)
    return a[:, :, None] if a.ndim == 2 else a


def fit_image(image: Image.Image, size: int, channels: int, fit: str = "crop") -> np.ndarray:
    """Fit any image to the model input: uint8 HWC, ``size``², ``channels`` (1 or 3).

    Transparency is composited onto white; 16-bit and float images are scaled to 8 bits; CMYK,
    palette and other modes are converted. ``fit="crop"`` centre-crops to a square (keeps the middle),
    ``fit="pad"`` letterboxes onto white (keeps everything); either way the aspect ratio is kept.
    """
    if channels not in (1, 3):
        raise ValueError(f"can only fit images to 1 or 3 channels, got {channels}")
    if size < 1:
        raise ValueError(f"size must be positive, got {size}")
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}, got {fit!r}")
    im = to_mode(image, channels)
    w, h = im.size
    if fit == "crop":
        s = min(w, h)
        left, top = (w - s) // 2, (h - s) // 2
        im = im.crop((left, top, left + s, top + s)).resize((size, size), Image.Resampling.LANCZOS)
    else:
        scale = size / max(w, h)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        canvas = Image.new(im.mode, (size, size), 255 if channels == 1 else (255, 255, 255))
        canvas.paste(im.resize((nw, nh), Image.Resampling.LANCZOS), ((size - nw) // 2, (size - nh) // 2))
        im = canvas
    a = np.array(im, dtype=np.uint8)
    return a[:, :, None] if a.ndim == 2 else a


def to_tensor(image: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 HWC → float [1, C, H, W] in [-1, 1]."""
    if image.ndim != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 HWC image, got {image.dtype} {image.shape}")
    x = torch.from_numpy(np.array(image, copy=True)).to(device).permute(2, 0, 1)[None].float()
    return x / 127.5 - 1.0
