"""Bookmarks of latents (a gallery saved in a project file) and attribute vectors from picked samples.

A project file (``.latentlab.json``) is plain JSON: the model it belongs to and a list of bookmarks,
each a latent (seed, or an explicit z), a class, a name and a small PNG thumbnail (base64). Loading
one executes nothing.

An *attribute vector* is the mean latent of the samples a user picked minus the mean of the others
(in z, or in w for models with a W space): adding it with a strength moves any latent toward "what
the picked samples have in common" (e.g. "has sleeves", "smiling").
"""

from __future__ import annotations

import base64
import io
import json
import logging
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from engine.errors import FileError, LatentLabError
from engine.families import LoadedModel
from engine.fileio import atomic_write_text, read_json_file
from engine.limits import MAX_SIDECAR_BYTES

log = logging.getLogger(__name__)

PROJECT_FORMAT = "latentlab-project"
PROJECT_VERSION = 1
MAX_THUMBNAIL_PIXELS = 1024 * 1024
"""Thumbnails are small (96 px a side when LatentLab writes them); larger ones are not shown."""


class GalleryError(LatentLabError, ValueError):
    """A project file or a pick cannot be used (the message says why)."""


def _thumbnail_bytes(text: object) -> bytes:
    """The PNG bytes of a stored thumbnail; a malformed one becomes "no thumbnail" (logged)."""
    if not text:
        return b""
    try:
        return base64.b64decode(str(text), validate=True)
    except (ValueError, TypeError) as e:
        log.info("ignoring a malformed bookmark thumbnail (%s)", e)
        return b""


@dataclass(frozen=True)
class Bookmark:
    """One saved latent. ``thumbnail`` is a PNG (bytes) of the frame when it was bookmarked."""

    name: str
    seed: int
    z: tuple[float, ...] | None = None
    class_index: int | None = None
    thumbnail: bytes = field(default=b"", repr=False)

    def to_json(self) -> dict:
        d = asdict(self)
        d["thumbnail"] = base64.b64encode(self.thumbnail).decode("ascii")
        d["z"] = list(self.z) if self.z is not None else None
        return d

    @classmethod
    def from_json(cls, d: dict) -> Bookmark:
        z = d.get("z")
        return cls(
            name=str(d.get("name", "")),
            seed=int(d["seed"]),
            z=tuple(float(v) for v in z) if z is not None else None,
            class_index=None if d.get("class_index") is None else int(d["class_index"]),
            thumbnail=_thumbnail_bytes(d.get("thumbnail")),
        )

    def thumbnail_array(self) -> np.ndarray | None:
        """The thumbnail as uint8 HWC (None when there is none, or it is not a readable small image:
        one bad thumbnail never breaks a gallery)."""
        if not self.thumbnail:
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(self.thumbnail)) as im:
                    if im.width * im.height > MAX_THUMBNAIL_PIXELS:
                        raise ValueError(f"thumbnail of {im.width}×{im.height} pixels is too large")
                    a = np.asarray(im.convert("RGB") if im.mode not in ("L", "RGB") else im)
        except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as e:
            log.info("bookmark %r has an unreadable thumbnail (%s); showing none", self.name, e)
            return None
        return a[:, :, None] if a.ndim == 2 else a


def png_bytes(frame: np.ndarray, max_side: int = 96) -> bytes:
    """A small PNG of a uint8 HWC frame (nearest-neighbour downscaled to ``max_side``)."""
    if frame.dtype != np.uint8 or frame.ndim != 3:
        raise ValueError(f"expected a uint8 HWC frame, got {frame.dtype} {frame.shape}")
    im = Image.fromarray(frame[:, :, 0] if frame.shape[2] == 1 else frame)
    if max(im.size) > max_side:
        im.thumbnail((max_side, max_side), Image.Resampling.NEAREST)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def save_project(path: str | Path, model: str, bookmarks: Sequence[Bookmark]) -> Path:
    """Write the gallery of ``model`` to ``path`` (JSON)."""
    doc = {
        "format": PROJECT_FORMAT,
        "version": PROJECT_VERSION,
        "model": model,
        "bookmarks": [b.to_json() for b in bookmarks],
    }
    return atomic_write_text(path, json.dumps(doc, indent=1) + "\n")


def load_project(path: str | Path) -> tuple[str, list[Bookmark]]:
    """(model, bookmarks) of a project file; :class:`GalleryError` when it is not one."""
    try:
        doc = read_json_file(path, MAX_SIDECAR_BYTES, "project file")
    except FileError as e:
        raise GalleryError(f"{Path(path).name}: not a readable LatentLab project ({e.reason})") from e
    if not isinstance(doc, dict) or doc.get("format") != PROJECT_FORMAT:
        raise GalleryError(f"{Path(path).name}: not a LatentLab project file")
    version = doc.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int):
        raise GalleryError(f"{Path(path).name}: project version must be an integer, got {str(version)[:40]!r}")
    if not isinstance(doc.get("bookmarks", []), list):
        raise GalleryError(f"{Path(path).name}: 'bookmarks' must be a list")
    if version > PROJECT_VERSION:
        raise GalleryError(f"{Path(path).name}: project version {doc['version']} is newer than this LatentLab")
    try:
        marks = [Bookmark.from_json(b) for b in doc.get("bookmarks", [])]
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise GalleryError(f"{Path(path).name}: a bookmark is malformed ({e})") from e
    return str(doc.get("model", "")), marks


@torch.no_grad()
def latents_of(model: LoadedModel, seeds: Sequence[int], space: str, class_index: int | None = None) -> torch.Tensor:
    """z [N, z_dim] of ``seeds``, or their w [N, w_dim] (first style layer of map(z)) when ``space`` is "w"."""
    z = model.sample_z(list(seeds)).float()
    if space == "z":
        return z
    if model.capabilities.w_space is None:
        raise GalleryError(f"{model.capabilities.family} models have no W space")
    c = model.one_hot([class_index or 0], len(seeds))
    return model.map(z, c)[:, 0]


def attribute_vector(
    model: LoadedModel, picked: Sequence[int], others: Sequence[int], space: str = "z", class_index: int | None = None
) -> np.ndarray:
    """mean(latent of picked seeds) − mean(latent of the other seeds), in ``space``."""
    if not picked or not others:
        raise GalleryError("pick at least one sample, and leave at least one unpicked")
    if set(picked) & set(others):
        raise GalleryError("a seed cannot be both picked and not picked")
    a = latents_of(model, picked, space, class_index).mean(0)
    b = latents_of(model, others, space, class_index).mean(0)
    return (a - b).cpu().numpy().astype(np.float32)


SAMPLE_BATCH = 4
"""Samples rendered at once (a batch of full frames of a big model is gigabytes)."""


@torch.no_grad()
def sample_frames(
    model: LoadedModel, seeds: Sequence[int], class_index: int | None = None, size: int | None = None
) -> np.ndarray:
    """uint8 NHWC frames of ``seeds``, for a gallery of samples to pick from. With ``size`` (the pixels
    they are shown at) a model with previews renders the smallest preview at least that big, never
    its full frame."""
    from engine.api import RenderRequest
    from engine.render import render, to_uint8

    preview = model.capabilities.preview_for(size) if size is not None else None
    if preview is not None:
        cls = class_index if model.capabilities.classes else None
        return np.stack(
            [render(model, RenderRequest("gallery", seed=int(s), class_index=cls, preview=preview)) for s in seeds]
        )
    frames = []
    for i in range(0, len(seeds), SAMPLE_BATCH):
        chunk = list(seeds[i : i + SAMPLE_BATCH])
        z = model.sample_z(chunk)
        c = model.one_hot([class_index or 0], len(chunk))
        frames.append(to_uint8(model.generate(z, c).clamp(-1, 1)))
    return np.concatenate(frames)
