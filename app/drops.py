"""What a drop of files on the explorer means: a checkpoint to open, an image for a panel, or a
file the window cannot take (each named with its reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

CHECKPOINT_SUFFIXES = (".safetensors", ".json", ".pt", ".pth", ".ckpt", ".pkl")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff")
MODEL_FILTER = "Models (*.safetensors *.json *.pt *.pth *.ckpt *.pkl);;All files (*)"


def drop_rejection(path: str) -> str | None:
    """Why a dropped file cannot be opened as a model (None when it looks like a checkpoint)."""
    p = Path(path)
    if p.is_dir():
        return "is a folder, not a model checkpoint"
    suffix = p.suffix.lower()
    if suffix in CHECKPOINT_SUFFIXES:
        return None
    if suffix in IMAGE_SUFFIXES:
        return "is an image; no open panel of this model takes images (translate/invert models do)"
    kinds = ", ".join(CHECKPOINT_SUFFIXES)
    return f"is not a model checkpoint (LatentLab opens {kinds} files)"


@dataclass
class Drop:
    """The outcome of a drop: the checkpoint to open (the last one wins), else the image for the
    panel that takes images (the last one wins), and one line per rejected file."""

    checkpoint: str | None = None
    image: str | None = None
    rejected: list[str] = field(default_factory=list)


def sort_drop(paths: list[str], takes_images: bool) -> Drop:
    """Sort dropped ``paths``; images are taken only when a visible panel ``takes_images``."""
    drop = Drop()
    for path in paths:
        if takes_images and Path(path).suffix.lower() in IMAGE_SUFFIXES and Path(path).is_file():
            drop.image = path
            continue
        reason = drop_rejection(path)
        if reason is None:
            drop.checkpoint = path
        else:
            drop.rejected.append(f"“{Path(path).name}” {reason}.")
    return drop
