"""Fashion-MNIST read straight from its original IDX files (Debian package ``dataset-fashion-mnist``).

Nothing is downloaded: the files are looked up in ``$LATENTLAB_FASHION_MNIST`` (a folder), then in
``/usr/share/datasets/fashion-mnist``. Both ``.gz`` and uncompressed IDX files are accepted.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
SPLITS = {"train": "train", "test": "t10k"}
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
MISSING_HINT = (
    "Fashion-MNIST not found; install it with 'sudo apt-get install dataset-fashion-mnist' "
    "or point LATENTLAB_FASHION_MNIST at a folder with the four IDX files"
)


class FashionMNISTMissing(FileNotFoundError):
    """The IDX files are not on this machine (the message says how to get them)."""


def search_dirs() -> list[Path]:
    env = os.environ.get("LATENTLAB_FASHION_MNIST")
    return ([Path(env).expanduser()] if env else []) + [SYSTEM_DIR]


def _find(stem: str) -> Path:
    for d in search_dirs():
        for name in (stem + ".gz", stem):
            if (d / name).is_file():
                return d / name
    raise FashionMNISTMissing(MISSING_HINT)


def available() -> bool:
    """True when both splits can be read."""
    try:
        for prefix in SPLITS.values():
            _find(f"{prefix}-images-idx3-ubyte")
            _find(f"{prefix}-labels-idx1-ubyte")
    except FashionMNISTMissing:
        return False
    return True


def read_idx(path: Path) -> np.ndarray:
    """Parse one IDX file (magic 0x0000 08 NDIM, big-endian sizes, unsigned bytes)."""
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path} is not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims} but holds {body.size} bytes")
    return body.reshape(dims)


def load(split: str) -> tuple[np.ndarray, np.ndarray]:
    """``(images uint8 [N, 28, 28], labels int64 [N])`` of ``split`` ("train": 60000, "test": 10000)."""
    if split not in SPLITS:
        raise ValueError(f"unknown Fashion-MNIST split '{split}' (known: {', '.join(SPLITS)})")
    prefix = SPLITS[split]
    images = read_idx(_find(f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find(f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
    if images.ndim != 3 or labels.shape != (images.shape[0],):
        raise ValueError(f"Fashion-MNIST {split}: images {images.shape} and labels {labels.shape} do not match")
    return images, labels


def to_resolution(images: np.ndarray, resolution: int) -> np.ndarray:
    """NHW 28×28 → NHWC at ``resolution``: 32 pads 2 black pixels per side (the usual DCGAN input),
    28 keeps the originals, anything else resizes (antialiased bicubic)."""
    if images.ndim != 3:
        raise ValueError(f"expected [N, H, W] images, got {images.shape}")
    if resolution == images.shape[1]:
        out = images
    elif resolution == 32 and images.shape[1] == 28:
        out = np.pad(images, ((0, 0), (2, 2), (2, 2)))
    else:
        import torch
        import torch.nn.functional as F

        x = torch.from_numpy(np.array(images, dtype=np.float32))[:, None]
        x = F.interpolate(x, size=(resolution, resolution), mode="bicubic", antialias=True, align_corners=False)
        out = x[:, 0].round().clamp(0, 255).to(torch.uint8).numpy()
    return np.ascontiguousarray(out[..., None])
