"""Training data: a folder of images (any size/mode) or a bundled demo dataset, held in memory as uint8."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from engine import zoo

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
DEMO_DATASETS = {"emoji": "emoji64.npz"}


class DataError(ValueError):
    """The training data cannot be used (missing, empty, wrong)."""


@dataclass(frozen=True)
class DataSummary:
    source: str
    count: int
    skipped: int
    resolution: int
    channels: int


def load_image(path: Path, resolution: int, channels: int) -> np.ndarray:
    """Read one image, convert to RGB/L, resize the short side to ``resolution`` and centre-crop."""
    with Image.open(path) as im:
        im.load()
        if im.mode in ("RGBA", "LA", "P") and channels == 3:
            im = im.convert("RGBA")
            bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
            bg.alpha_composite(im)
            im = bg
        im = im.convert("RGB" if channels == 3 else "L")
        w, h = im.size
        s = resolution / min(w, h)
        nw, nh = max(resolution, round(w * s)), max(resolution, round(h * s))
        im = im.resize((nw, nh), Image.Resampling.LANCZOS)
        left, top = (nw - resolution) // 2, (nh - resolution) // 2
        im = im.crop((left, top, left + resolution, top + resolution))
        arr = np.asarray(im, dtype=np.uint8)
    return arr if arr.ndim == 3 else arr[:, :, None]


def _resize_array(images: np.ndarray, resolution: int, channels: int) -> np.ndarray:
    if images.shape[1] == resolution and images.shape[-1] == channels:
        return images
    out = []
    for a in images:
        im = Image.fromarray(a if a.shape[-1] == 3 else a[:, :, 0])
        im = im.convert("RGB" if channels == 3 else "L").resize((resolution, resolution), Image.Resampling.LANCZOS)
        arr = np.asarray(im, dtype=np.uint8)
        out.append(arr if arr.ndim == 3 else arr[:, :, None])
    return np.stack(out)


class ImageDataset:
    """All training images as a uint8 tensor [N, C, R, R]; ``sample`` returns floats in [-1, 1]."""

    def __init__(self, images: np.ndarray, summary: DataSummary, xflip: bool = False) -> None:
        if images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise DataError(f"images must be NHWC with 1 or 3 channels, got {images.shape}")
        self.images = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
        self.summary = summary
        self.xflip = xflip

    def __len__(self) -> int:
        return self.images.shape[0]

    def sample(self, batch: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
        """A random batch ``{"image": float [-1, 1] NCHW}`` (indices drawn with replacement)."""
        idx = torch.randint(0, len(self), (batch,), generator=generator)
        x = self.images[idx].float() / 127.5 - 1
        if self.xflip:
            flip = torch.rand(batch, generator=generator) < 0.5
            x = torch.where(flip.reshape(-1, 1, 1, 1), x.flip(3), x)
        return {"image": x}


def open_dataset(spec: str | Path, resolution: int, channels: int = 3, xflip: bool = False) -> ImageDataset:
    """``spec`` is ``demo:NAME`` (bundled), an ``.npz`` with ``images`` (NHWC uint8) or a folder of images."""
    spec = str(spec)
    if spec.startswith("demo:"):
        name = spec[5:]
        if name not in DEMO_DATASETS:
            raise DataError(f"unknown demo dataset '{name}' (known: {', '.join(DEMO_DATASETS)})")
        path = zoo.data_path(DEMO_DATASETS[name])
        if not path.exists():
            raise DataError(f"demo dataset file {path} is missing (rebuild it with 'python -m training.demo_data')")
        return _from_npz(path, spec, resolution, channels, xflip)
    path = Path(spec).expanduser()
    if not path.exists():
        raise DataError(f"data path '{path}' does not exist")
    if path.is_file():
        if path.suffix == ".npz":
            return _from_npz(path, str(path), resolution, channels, xflip)
        raise DataError(f"'{path}' is a file; give a folder of images, an .npz, or demo:emoji")
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"folder '{path}' contains no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    arrays, skipped = [], 0
    for f in files:
        try:
            arrays.append(load_image(f, resolution, channels))
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
            skipped += 1
            log.debug("skipping %s: %s", f, e)
    if skipped:
        log.warning("skipped %d unreadable image file(s) in %s", skipped, path)
    if not arrays:
        raise DataError(f"none of the {len(files)} image files in '{path}' could be read")
    summary = DataSummary(str(path), len(arrays), skipped, resolution, channels)
    return ImageDataset(np.stack(arrays), summary, xflip)


def _from_npz(path: Path, source: str, resolution: int, channels: int, xflip: bool) -> ImageDataset:
    with np.load(path, allow_pickle=False) as d:
        if "images" not in d:
            raise DataError(f"{path} has no 'images' array")
        images = d["images"]
    if images.ndim == 3:
        images = images[..., None]
    images = _resize_array(images, resolution, channels)
    return ImageDataset(images, DataSummary(source, len(images), 0, resolution, channels), xflip)
