"""Real images at their own size, read as pytorch-fid and clean-fid read them, for Inception metrics.

Those tools open each file with ``Image.open(path).convert("RGB")`` and nothing else: no crop, no
resize before the network's own 299×299 resize, transparency dropped (the RGB under it is kept,
not composited on white), grey and palette images expanded to RGB. :func:`open_native` does the
same for every data spec ``latentlab metrics`` accepts: a folder of images (recursively, the
suffixes of :data:`training.data.IMAGE_SUFFIXES`), a ``.zip`` of one, an ``.npz`` with ``images``,
``demo:NAME`` and ``fmnist:SPLIT`` (arrays are used as stored; grey repeated to RGB). Files are
decoded batch by batch, so a large folder is never held in memory at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from engine import zoo
from training import fashion_mnist, zip_data
from training.data import DEMO_DATASETS, IMAGE_SUFFIXES, DataError

log = logging.getLogger(__name__)

_HEADER_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError)


@dataclass(frozen=True)
class NativeImages:
    """``count`` images of ``spec``; ``read(indices)`` gives them as uint8 RGB ``[3, H, W]`` tensors."""

    spec: str
    count: int
    sizes: tuple[tuple[int, int], ...]
    """(width, height) of each image, in index order."""
    read: Callable[[Sequence[int]], list[torch.Tensor]]
    skipped: tuple[str, ...] = ()
    """Files whose header could not be read (the first 100), left out like the training loader does."""

    def size_summary(self) -> str:
        """``64×64`` when all images share a size, else ``mixed sizes (32×32 … 1024×768)``."""
        distinct = sorted(set(self.sizes), key=lambda s: (s[0] * s[1], s))
        if len(distinct) == 1:
            return f"{distinct[0][0]}×{distinct[0][1]}"
        lo, hi = distinct[0], distinct[-1]
        return f"mixed sizes ({lo[0]}×{lo[1]} … {hi[0]}×{hi[1]})"


def _rgb_tensor(arr: np.ndarray) -> torch.Tensor:
    """uint8 HW, HW1 or HW3 → uint8 [3, H, W] (grey repeated, as ``convert("RGB")`` does)."""
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.shape[-1] == 1:
        arr = np.repeat(arr, 3, axis=-1)
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))


def _from_arrays(spec: str, images: np.ndarray) -> NativeImages:
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or images.dtype != np.uint8:
        raise DataError(
            f"{spec}: 'images' is {images.dtype} {tuple(images.shape)}; expected uint8 N×H×W×C (C = 1 or 3) or N×H×W"
        )
    if len(images) == 0:
        raise DataError(f"{spec}: 'images' holds no images")
    size = (int(images.shape[2]), int(images.shape[1]))

    def read(indices: Sequence[int]) -> list[torch.Tensor]:
        return [_rgb_tensor(images[i]) for i in indices]

    return NativeImages(spec, len(images), (size,) * len(images), read)


def _from_folder(spec: str, folder: Path) -> NativeImages:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"folder '{folder}' contains no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    kept: list[Path] = []
    sizes: list[tuple[int, int]] = []
    bad: list[str] = []
    for f in files:
        try:
            with Image.open(f) as im:  # reads the header only
                sizes.append(im.size)
            kept.append(f)
        except _HEADER_ERRORS as e:
            if len(bad) < 100:
                bad.append(str(f.relative_to(folder)))
            log.debug("skipping %s: %s", f, e)
    if len(kept) < len(files):
        log.warning("skipped %d unreadable image file(s) in %s", len(files) - len(kept), folder)
    if not kept:
        raise DataError(f"none of the {len(files)} image files in '{folder}' could be read")

    def read(indices: Sequence[int]) -> list[torch.Tensor]:
        out = []
        for i in indices:
            try:
                with Image.open(kept[i]) as im:
                    arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
            except _HEADER_ERRORS as e:
                raise DataError(f"cannot decode '{kept[i]}': {e}") from e
            out.append(_rgb_tensor(arr))
        return out

    return NativeImages(spec, len(kept), tuple(sizes), read, tuple(bad))


def _npz_images(path: Path) -> np.ndarray:
    try:
        with np.load(path, allow_pickle=False) as d:
            if "images" not in d:
                raise DataError(f"{path} has no 'images' array; expected 'images' (uint8 N×H×W×C)")
            return d["images"]
    except (OSError, ValueError) as e:
        if isinstance(e, DataError):
            raise
        raise DataError(f"cannot read '{path}': {e}") from e


def open_native(spec: str | Path) -> NativeImages:
    """Open a data spec at its own resolution (see the module docstring)."""
    spec = str(spec)
    if spec.startswith("fmnist:") or spec == "fmnist":
        split = spec.split(":", 1)[1] if ":" in spec else "train"
        try:
            images, _labels = fashion_mnist.load(split or "train")
        except (fashion_mnist.FashionMNISTMissing, ValueError) as e:
            raise DataError(str(e)) from e
        return _from_arrays(spec, np.asarray(images, dtype=np.uint8))
    if spec.startswith("demo:"):
        name = spec[5:]
        if name not in DEMO_DATASETS:
            raise DataError(f"unknown demo dataset '{name}' (known: {', '.join(DEMO_DATASETS)})")
        path = zoo.data_path(DEMO_DATASETS[name])
        if not path.exists():
            raise DataError(f"demo dataset file {path} is missing (rebuild it with 'python -m training.demo_data')")
        return _from_arrays(spec, _npz_images(path))
    path = Path(spec).expanduser()
    if not path.exists():
        raise DataError(f"data path '{path}' does not exist")
    if path.is_file():
        if path.suffix.lower() == ".npz":
            return _from_arrays(str(path), _npz_images(path))
        if path.suffix.lower() == ".zip":
            try:
                folder = zip_data.unpack(path)
            except zip_data.ZipDataError as e:
                raise DataError(str(e)) from e
            return _from_folder(str(path), folder)
        raise DataError(f"'{path}' is a file; give a folder of images, a .zip, an .npz, fmnist:train or demo:emoji")
    return _from_folder(str(path), path)
