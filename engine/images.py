"""Reading image files and fitting them to a model's input: square crop, size, channels, [-1, 1].

Every image LatentLab reads goes through :func:`open_image` / :func:`read_image`: the file type and
the pixel count (from the header) are checked before anything is decoded, EXIF orientation is
applied, and the mode is normalised. A bad file raises :class:`~engine.errors.DataError` naming it;
folder jobs and datasets skip and count such files.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from engine.errors import DataError, FileError, LimitError
from engine.limits import MAX_IMAGE_PIXELS, check_image_size, check_regular_file

# LatentLab checks every image's pixel count itself (open_image, before decoding) and says so in one
# line; PIL's own bomb check is aligned with that limit and its warning is not printed.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

_OPEN_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


@contextlib.contextmanager
def open_image(path: str | Path) -> Iterator[Image.Image]:
    """Open an image lazily (its header only) after refusing what must not be decoded: anything but a
    regular file (folders, FIFOs, devices), a file that is not an image, and an image of more than
    :data:`engine.limits.MAX_IMAGE_PIXELS` pixels. Raises :class:`~engine.errors.DataError` naming the
    file; decode errors inside the block are the caller's (see :func:`read_image`)."""
    p = Path(path)
    try:
        check_regular_file(p, what="image file")
    except FileError as e:
        raise DataError(e.reason, p) from None
    try:
        im = Image.open(p)
    except Image.DecompressionBombError:  # PIL's own check (at twice the limit) came first
        raise DataError(f"image exceeds the limit of {MAX_IMAGE_PIXELS // 1_000_000} megapixels", p) from None
    except _OPEN_ERRORS as e:
        raise DataError(f"not a readable image ({e.__class__.__name__})", p) from None
    with im:
        try:
            check_image_size(*im.size)
        except LimitError as e:
            raise DataError(str(e), p) from None
        yield im


def normalize_mode(image: Image.Image) -> Image.Image:
    """Any PIL mode → ``L``, ``LA``, ``RGB`` or ``RGBA`` (16-bit and float scaled, CMYK/YCbCr/LAB →
    RGB, palette → RGBA or RGB, 1-bit → L)."""
    im = to_8bit(image)
    if im.mode in ("L", "LA", "RGB", "RGBA"):
        return im
    if im.mode in ("P", "PA"):
        return im.convert("RGBA" if "transparency" in im.info or im.mode == "PA" else "RGB")
    if im.mode in ("La", "RGBa"):
        return im.convert("RGBA")
    if im.mode == "1":
        return im.convert("L")
    return im.convert("RGB")


def read_image(path: str | Path, max_side: int | None = None) -> Image.Image:
    """Read an image file fully: checked and opened by :func:`open_image`, decoded, turned upright by
    its EXIF orientation, its mode normalised (:func:`normalize_mode`), and, with ``max_side``,
    shrunk so that neither side exceeds it (JPEGs are decoded at a reduced scale directly). Raises
    :class:`~engine.errors.DataError` (a ``ValueError``) with a one-line reason naming the file."""
    p = Path(path)
    with open_image(p) as im:
        try:
            if max_side is not None and im.format == "JPEG":
                im.draft("RGB" if im.mode not in ("L", "1") else "L", (max_side, max_side))
            im.load()
            out = ImageOps.exif_transpose(im)
            out = normalize_mode(out)
            if out is im:
                out = im.copy()
        except Image.DecompressionBombError:
            raise DataError(f"image exceeds the limit of {MAX_IMAGE_PIXELS // 1_000_000} megapixels", p) from None
        except _OPEN_ERRORS + (MemoryError,) as e:
            raise DataError(f"not a readable image ({e.__class__.__name__})", p) from None
    if max_side is not None and max(out.size) > max_side:
        out.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return out


def side_for(width: int, height: int, size: int) -> int:
    """The longest side an image of ``width``×``height`` may be shrunk to while its shorter side keeps at
    least ``size`` pixels (what a square crop to ``size`` needs; a pad needs less), never more than it has."""
    long, short = max(width, height), max(1, min(width, height))
    return min(long, max(size, -(-size * long // short)))


KEEP_SIDE = 1024
"""Images whose longest side is at most this are never shrunk by :func:`read_image_for`."""


def read_image_for(path: str | Path, size: int, keep: int = KEEP_SIDE) -> Image.Image:
    """:func:`read_image`, shrunk as far as a model input of ``size``² allows (:func:`side_for`) but not
    below ``keep`` pixels on its longest side: a 12000×12000 photo for a 256 px model is kept at
    1024×1024 (3 MB, not 432 MB), and an image of at most ``keep`` pixels a side is read as it is
    (fitting it gives exactly what fitting the file does)."""
    with open_image(path) as im:
        width, height = im.size
    return read_image(path, max_side=max(side_for(width, height, size), keep))


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
