"""Detect a checkpoint's container from its content, not its extension.

The container decides how a file may be read safely; which code base wrote it (rosinality,
NVlabs, …) is decided afterwards from the content by :mod:`engine.checkpoints.foreign`.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from engine.checkpoints.errors import CheckpointError
from engine.errors import FileError
from engine.limits import check_regular_file

NATIVE = "native"
TORCH_ZIP = "torch-zip"  # torch.save since 1.6: a zip archive with <stem>/data.pkl
TORCH_LEGACY = "torch-legacy"  # torch.save before 1.6: magic-number pickle + tensors
PICKLE = "pickle"  # a raw pickle (e.g. NVlabs network snapshots)
TORCH_CONTAINERS = (TORCH_ZIP, TORCH_LEGACY)

# The legacy container starts with pickle protocol 2 of the long 0x1950a86a20f9469cfc6c.
_LEGACY_MAGIC = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19"


def _is_torch_zip(p: Path) -> bool:
    try:
        with zipfile.ZipFile(p) as zf:
            return any(n == "data.pkl" or n.endswith("/data.pkl") for n in zf.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def sniff(path: str | Path) -> str:
    """Return the container of ``path``: ``native``, ``torch-zip``, ``torch-legacy`` or ``pickle``.

    Raises :class:`CheckpointError` for files that are no checkpoint container we know.
    """
    p = Path(path)
    try:  # FIFOs, devices and folders are refused before anything opens them
        check_regular_file(p, what="checkpoint file")
    except FileError as e:
        raise CheckpointError(p, e.reason) from None
    try:
        with open(p, "rb") as f:
            head = f.read(len(_LEGACY_MAGIC))
    except OSError as e:
        raise CheckpointError(p, f"cannot read file ({e.strerror})") from e
    if len(head) < 8:
        raise CheckpointError(p, "file is empty or too short to be a checkpoint")
    if p.suffix == ".json" or (int.from_bytes(head[:8], "little") < 100_000_000 and head[8:9] == b"{"):
        return NATIVE
    if zipfile.is_zipfile(p):
        if _is_torch_zip(p):
            return TORCH_ZIP
        raise CheckpointError(p, "zip archive is not a PyTorch checkpoint (no data.pkl inside)")
    if head == _LEGACY_MAGIC:
        return TORCH_LEGACY
    if head[:1] == b"\x80" and 2 <= head[1] <= 5:
        return PICKLE
    raise CheckpointError(p, "unsupported file: not a LatentLab, PyTorch or pickle checkpoint")


__all__ = ["NATIVE", "PICKLE", "TORCH_CONTAINERS", "TORCH_LEGACY", "TORCH_ZIP", "sniff"]
