"""Deterministic inputs shared by the metric-protocol tests and ``scripts/make_metric_reference.py``.

Both sides rebuild the same seeded random Inception weights (pytorch-fid's ``pt_inception`` key
layout; no real weights are available offline) and the same small image files, so the reference
numbers computed once with pytorch-fid, torch-fidelity and clean-fid can be compared with ours
without committing a 95 MB state dict or the images. Only numpy and Pillow are used here (the
script imports this module from a throwaway environment without LatentLab installed).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
from PIL import Image

WEIGHT_SEED = 2015


def random_inception_state(shapes: dict[str, tuple[int, ...]], seed: int = WEIGHT_SEED) -> dict[str, np.ndarray]:
    """float32 arrays for every key of a ``pt_inception`` state dict (``num_batches_tracked`` left out).

    Each tensor comes from its own generator seeded with ``(seed, crc32(key))``, so the result does
    not depend on key order. Conv weights are He-normal and batch norms near the identity, so the
    activations keep their scale through the 94 layers; ``fc.bias`` is large enough that the
    bias-free logits and the biased ones give clearly different Inception Scores.
    """
    out: dict[str, np.ndarray] = {}
    for key, shape in shapes.items():
        if key.endswith("num_batches_tracked"):
            continue
        rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
        if key.endswith("conv.weight"):
            fan_in = int(np.prod(shape[1:]))
            a = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        elif key.endswith("bn.weight"):
            a = rng.uniform(0.8, 1.2, shape)
        elif key.endswith(("bn.bias", "bn.running_mean")):
            a = rng.normal(0.0, 0.1, shape)
        elif key.endswith("bn.running_var"):
            a = rng.uniform(0.5, 1.5, shape)
        elif key == "fc.weight":
            a = rng.standard_normal(shape) * (4.0 / np.sqrt(shape[1]))
        elif key == "fc.bias":
            a = rng.normal(0.0, 2.0, shape)
        else:
            raise KeyError(f"unexpected Inception key {key}")
        out[key] = np.ascontiguousarray(a, dtype=np.float32)
    return out


# (mode, width, height) of each reference image: sizes below, at and above 299, non-square, alpha,
# grey and palette images (pytorch-fid and clean-fid read every one with ``convert("RGB")``).
IMAGE_SETS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "a": (
        ("RGB", 32, 32),
        ("RGB", 64, 64),
        ("RGBA", 48, 48),
        ("L", 40, 40),
        ("RGB", 299, 299),
        ("RGB", 80, 60),
        ("RGB", 331, 331),
        ("P", 36, 36),
        ("RGB", 128, 128),
        ("LA", 16, 16),
    ),
    "b": tuple(("RGBA" if i == 3 else "RGB", 64, 64) for i in range(10)),
}


def _field(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A smooth random colour field with fine noise, uint8 [H, W, 3]."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    img = np.empty((height, width, 3))
    for c in range(3):
        v = np.zeros((height, width))
        for _ in range(3):
            fx, fy = rng.uniform(0.5, 6.0, 2) * 2 * np.pi / np.array([width, height])
            v += rng.uniform(20, 60) * np.sin(fx * x + fy * y + rng.uniform(0, 2 * np.pi))
        img[..., c] = 128 + v + rng.normal(0, 12, (height, width))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def reference_images(name: str) -> list[Image.Image]:
    """The PIL images of set ``name`` (``"a"``: mixed sizes and modes, ``"b"``: 64 px, one with alpha)."""
    rng = np.random.default_rng([7, ord(name)])
    images = []
    for mode, w, h in IMAGE_SETS[name]:
        rgb = _field(rng, w, h)
        alpha = np.where(rng.random((h, w)) < 0.3, 0, rng.integers(1, 256, (h, w))).astype(np.uint8)
        if mode == "RGB":
            im = Image.fromarray(rgb, "RGB")
        elif mode == "RGBA":
            im = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
        elif mode == "L":
            im = Image.fromarray(rgb[..., 0], "L")
        elif mode == "LA":
            im = Image.fromarray(np.dstack([rgb[..., 1], alpha]), "LA")
        elif mode == "P":
            im = Image.fromarray((rgb[..., 2] // 16).astype(np.uint8), "P")
            im.putpalette(rng.integers(0, 256, 16 * 3).astype(np.uint8).tobytes())
        else:
            raise ValueError(mode)
        images.append(im)
    return images


def write_reference_images(folder: str | Path, name: str) -> list[Path]:
    """Save set ``name`` as ``folder/NN.png`` (lossless) and return the paths in sorted order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, im in enumerate(reference_images(name)):
        p = folder / f"{i:02d}.png"
        im.save(p)
        paths.append(p)
    return paths
