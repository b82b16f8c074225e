"""Training data held in memory as uint8: a folder of images (any size/mode; sub-folders as classes),
the same zipped (:mod:`training.zip_data`), an ``.npz``, a bundled demo dataset, or Fashion-MNIST
(``fmnist:train`` / ``fmnist:test``)."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from engine import zoo
from engine.errors import LatentLabError
from training import fashion_mnist, zip_data

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
DEMO_DATASETS = {"emoji": "emoji64.npz"}


class DataError(LatentLabError, ValueError):
    """The training data cannot be used (missing, empty, wrong)."""


@dataclass(frozen=True)
class DataSummary:
    source: str
    count: int
    skipped: int
    resolution: int
    channels: int
    skipped_files: tuple[str, ...] = ()
    """Names of the unreadable files (the first 100)."""


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
    """All training images as a uint8 tensor [N, C, R, R]; ``sample`` returns floats in [-1, 1].

    Labelled data also has ``labels`` (int64 [N]) and ``class_names``; its batches carry ``"label"``.
    """

    def __init__(
        self,
        images: np.ndarray,
        summary: DataSummary,
        xflip: bool = False,
        labels: np.ndarray | None = None,
        class_names: tuple[str, ...] = (),
    ) -> None:
        if images.ndim != 4 or images.shape[-1] not in (1, 3):
            raise DataError(f"images must be NHWC with 1 or 3 channels, got {images.shape}")
        if labels is not None and labels.shape != (images.shape[0],):
            raise DataError(f"labels {labels.shape} do not match {images.shape[0]} images")
        self.images = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))
        self.labels = None if labels is None else torch.from_numpy(labels.astype(np.int64))
        self.class_names = tuple(class_names)
        self.summary = summary
        self.xflip = xflip

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def labelled(self) -> bool:
        return self.labels is not None

    def sample(self, batch: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
        """A random batch ``{"image": float [-1, 1] NCHW[, "label": int64 [N]]}`` (drawn with replacement)."""
        idx = torch.randint(0, len(self), (batch,), generator=generator)
        x = self.images[idx].float() / 127.5 - 1
        if self.xflip:
            flip = torch.rand(batch, generator=generator) < 0.5
            x = torch.where(flip.reshape(-1, 1, 1, 1), x.flip(3), x)
        out = {"image": x}
        if self.labels is not None:
            out["label"] = self.labels[idx]
        return out

    def iterate(self, batch: int, limit: int | None = None):
        """Batches in dataset order (no augmentation): ``{"image", ["label"]}`` for metrics and evaluation."""
        n = len(self) if limit is None else min(limit, len(self))
        for i in range(0, n, batch):
            j = min(n, i + batch)
            out = {"image": self.images[i:j].float() / 127.5 - 1}
            if self.labels is not None:
                out["label"] = self.labels[i:j]
            yield out


def open_dataset(
    spec: str | Path, resolution: int, channels: int = 3, xflip: bool = False, labelled: bool = False
) -> ImageDataset:
    """Open training data. ``spec`` is ``fmnist:train`` / ``fmnist:test`` (Fashion-MNIST, labelled),
    ``demo:NAME`` (bundled), an ``.npz`` with ``images`` (NHWC uint8, optional ``labels``), a folder of
    images or a ``.zip`` of one — labelled by first-level sub-folder when every image sits in one
    (``folder/CLASS/img.png``).
    ``labelled=True`` refuses data without labels."""
    ds = _open(str(spec), resolution, channels, xflip)
    if labelled and not ds.labelled:
        raise DataError(
            f"'{spec}' has no class labels; a conditional model needs labelled data "
            "(fmnist:train, or a folder whose sub-folders are the classes)"
        )
    return ds


def _open_fmnist(spec: str, resolution: int, channels: int, xflip: bool) -> ImageDataset:
    split = spec.split(":", 1)[1] or "train"
    try:
        images, labels = fashion_mnist.load(split)
    except fashion_mnist.FashionMNISTMissing as e:
        raise DataError(str(e)) from e
    except ValueError as e:
        raise DataError(str(e)) from e
    arr = fashion_mnist.to_resolution(images, resolution)
    if channels == 3:
        arr = np.repeat(arr, 3, axis=-1)
    summary = DataSummary(f"Fashion-MNIST {split}", len(arr), 0, resolution, channels)
    return ImageDataset(arr, summary, xflip, labels, fashion_mnist.CLASS_NAMES)


def _open(spec: str, resolution: int, channels: int, xflip: bool) -> ImageDataset:
    if spec.startswith("fmnist:") or spec == "fmnist":
        return _open_fmnist(spec if ":" in spec else "fmnist:train", resolution, channels, xflip)
    if spec.startswith("demo:"):
        name = spec[5:]
        if name not in DEMO_DATASETS:
            raise DataError(f"unknown demo dataset '{name}' (known: {', '.join(DEMO_DATASETS)})")
        path = zoo.data_path(DEMO_DATASETS[name])
        if not path.exists():
            raise DataError(f"demo dataset file {path} is missing (rebuild it with 'python -m training.demo_data')")
        ds = _from_npz(path, spec, resolution, channels, xflip)
        if name == "emoji" and not ds.labelled:
            from training.demo_data import EMOJI_CATEGORIES, emoji_labels

            with np.load(path, allow_pickle=False) as d:
                ds.labels = torch.from_numpy(emoji_labels(d["names"]))
            ds.class_names = EMOJI_CATEGORIES
        return ds
    path = Path(spec).expanduser()
    if not path.exists():
        raise DataError(f"data path '{path}' does not exist")
    if path.is_file():
        if path.suffix.lower() == ".npz":
            return _from_npz(path, str(path), resolution, channels, xflip)
        if path.suffix.lower() == ".zip":
            try:
                folder = zip_data.unpack(path)
            except zip_data.ZipDataError as e:
                raise DataError(str(e)) from e
            ds = _open(str(folder), resolution, channels, xflip)
            ds.summary = dataclasses.replace(ds.summary, source=str(path))
            return ds
        raise DataError(f"'{path}' is a file; give a folder of images, a .zip, an .npz, fmnist:train or demo:emoji")
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"folder '{path}' contains no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    arrays, kept, skipped, bad = [], [], 0, []
    for f in files:
        try:
            arrays.append(load_image(f, resolution, channels))
            kept.append(f)
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
            skipped += 1
            if len(bad) < 100:
                bad.append(str(f.relative_to(path)))
            log.debug("skipping %s: %s", f, e)
    if skipped:
        log.warning("skipped %d unreadable image file(s) in %s", skipped, path)
    if not arrays:
        raise DataError(f"none of the {len(files)} image files in '{path}' could be read")
    summary = DataSummary(str(path), len(arrays), skipped, resolution, channels, tuple(bad))
    labels, names = _folder_labels(path, kept)
    return ImageDataset(np.stack(arrays), summary, xflip, labels, names)


def _folder_labels(root: Path, files: list[Path]) -> tuple[np.ndarray | None, tuple[str, ...]]:
    """Class = first-level sub-folder, when every file sits in one and there are at least two."""
    parts = [f.relative_to(root).parts for f in files]
    if any(len(p) < 2 for p in parts):
        return None, ()
    names = tuple(sorted({p[0] for p in parts}))
    if len(names) < 2:
        return None, ()
    index = {n: i for i, n in enumerate(names)}
    return np.array([index[p[0]] for p in parts], dtype=np.int64), names


def _from_npz(path: Path, source: str, resolution: int, channels: int, xflip: bool) -> ImageDataset:
    with np.load(path, allow_pickle=False) as d:
        if "images" not in d:
            raise DataError(f"{path} has no 'images' array; expected 'images' (uint8 N×H×W×C), optional 'labels'")
        images = d["images"]
        labels = d["labels"].astype(np.int64) if "labels" in d else None
        names = tuple(str(n) for n in d["class_names"]) if "class_names" in d else ()
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or images.dtype != np.uint8:
        raise DataError(
            f"{path}: 'images' is {images.dtype} {tuple(images.shape)}; expected uint8 N×H×W×C "
            "(C = 1 or 3) or N×H×W (grey)"
        )
    if len(images) == 0:
        raise DataError(f"{path}: 'images' holds no images; expected at least one N×H×W×C uint8 image")
    if labels is not None and labels.shape != (len(images),):
        raise DataError(
            f"{path}: 'labels' has shape {tuple(labels.shape)}; expected one label per image ({len(images)})"
        )
    images = _resize_array(images, resolution, channels)
    if labels is not None and not names:
        names = tuple(f"class {i}" for i in range(int(labels.max()) + 1))
    summary = DataSummary(source, len(images), 0, resolution, channels)
    return ImageDataset(images, summary, xflip, labels, names)
