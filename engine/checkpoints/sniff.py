"""Detect a checkpoint's format from its content, not its extension."""

from __future__ import annotations

import zipfile
from pathlib import Path

from engine.checkpoints.errors import CheckpointError


def sniff(path: str | Path) -> str:
    """Return the format of ``path``: ``native`` or the name of a foreign format.

    Raises :class:`CheckpointError` for files that are no checkpoint we know.
    """
    p = Path(path)
    try:
        with open(p, "rb") as f:
            head = f.read(16)
    except OSError as e:
        raise CheckpointError(p, f"cannot read file ({e.strerror})") from e
    if len(head) < 8:
        raise CheckpointError(p, "file is empty or too short to be a checkpoint")
    if p.suffix == ".json" or (int.from_bytes(head[:8], "little") < 100_000_000 and head[8:9] == b"{"):
        return "native"
    if zipfile.is_zipfile(p) or head[:1] == b"\x80":
        return "torch"  # refined by engine.checkpoints.foreign
    raise CheckpointError(p, "unsupported file: not a LatentLab, PyTorch or pickle checkpoint")
