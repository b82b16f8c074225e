"""Whether an input looks like what a translator was trained on.

A pix2pix model trained on line drawings makes nothing sensible of a photo, and nothing says so.
:func:`profile_of` summarises a model's sample training inputs (``assets/samples``) by their
brightness histogram and colourfulness; :meth:`InputProfile.unlike` tells whether an image is far
outside that: further from the samples' average than any sample is, by a clear margin. It is a
coarse check of the kind of picture (line drawing, dark background, photo), not of its content.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BINS = 8
MARGIN = 2.0
"""An input is unlike the samples when its distance is over ``MARGIN`` × the farthest sample's ..."""
FLOOR = 0.5
"""... and over ``FLOOR`` (L1 between histograms runs from 0 to 2)."""


def _features(image: np.ndarray) -> np.ndarray:
    """Brightness histogram (``BINS`` bins, sums to 1) and mean colourfulness of a uint8 HWC/HW image."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise ValueError(f"expected a uint8 HW or HWC image, got {image.dtype} {image.shape}")
    x = image.astype(np.float32) / 255.0
    if x.ndim == 2:
        x = x[:, :, None]
    rgb = x[:, :, :3] if x.shape[2] >= 3 else np.repeat(x[:, :, :1], 3, axis=2)
    grey = rgb.mean(axis=2)
    hist, _ = np.histogram(grey, bins=BINS, range=(0.0, 1.0))
    colour = float((rgb.max(axis=2) - rgb.min(axis=2)).mean())
    return np.concatenate([hist / max(1, grey.size), [colour]]).astype(np.float32)


def _distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a[:BINS] - b[:BINS]).sum() + 2.0 * abs(a[BINS] - b[BINS]))


@dataclass(frozen=True)
class InputProfile:
    """The average features of a model's sample inputs and how far the farthest sample is from it."""

    mean: tuple[float, ...]
    spread: float

    def distance(self, image: np.ndarray) -> float:
        """How far ``image`` (uint8, as the model sees it) is from the samples' average."""
        return _distance(_features(image), np.asarray(self.mean, np.float32))

    @property
    def limit(self) -> float:
        return max(FLOOR, MARGIN * self.spread)

    def unlike(self, image: np.ndarray) -> bool:
        """Whether ``image`` is clearly unlike every kind of input the model was trained on."""
        return self.distance(image) > self.limit


def profile_of(samples: Sequence[np.ndarray]) -> InputProfile:
    """The profile of a model's sample inputs (uint8 images, as the model sees them); at least one."""
    if not samples:
        raise ValueError("a profile needs at least one sample input")
    feats = np.stack([_features(s) for s in samples])
    mean = feats.mean(axis=0)
    spread = max(_distance(f, mean) for f in feats)
    return InputProfile(tuple(float(v) for v in mean), float(spread))
