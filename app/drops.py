"""What a drop of files on the explorer means: a checkpoint to open, an image for a panel, or a
file the window cannot take (each named with its reason)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import shown
from engine.limits import describe_file_type

log = logging.getLogger(__name__)

CHECKPOINT_SUFFIXES = (".safetensors", ".json", ".pt", ".pth", ".ckpt", ".pkl")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff")
MODEL_FILTER = "Models (*.safetensors *.json *.pt *.pth *.ckpt *.pkl);;All files (*)"


def drop_rejection(path: str) -> str | None:
    """Why a dropped file cannot be opened as a model (None when it looks like a checkpoint)."""
    p = Path(path)
    try:
        kind = describe_file_type(os.stat(p).st_mode)  # stat never blocks, even on a FIFO
    except OSError:
        kind = None
    if kind == "a folder":
        return "is a folder, not a model checkpoint"
    if kind is not None:  # FIFOs, devices, sockets are never opened
        return f"is {kind}, not a file LatentLab can open"
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
            drop.rejected.append(f"“{shown(Path(path).name)}” {reason}.")
    return drop


@contextlib.contextmanager
def reporting_drop_errors(show_error: Callable[[str, str], object], paths: Sequence[str]) -> Iterator[None]:
    """Run a drop handler: any exception it raises becomes a dialog naming the dropped file(s) and the
    reason (never a traceback out of ``dropEvent``), and the window goes on."""
    try:
        yield
    except Exception as e:
        log.warning("a drop of %s failed", ", ".join(paths), exc_info=True)
        names = ", ".join(f"“{shown(p)}”" for p in paths[:5]) + (" …" if len(paths) > 5 else "")
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        show_error("Cannot open file", f"Could not open {names}.\n\n{reason}")
