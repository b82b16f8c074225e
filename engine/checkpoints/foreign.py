"""Foreign checkpoint formats, converted into native family implementations."""

from __future__ import annotations

from pathlib import Path

from engine.checkpoints.errors import CheckpointError
from engine.families import LoadedModel


def load_foreign(path: str | Path, kind: str) -> LoadedModel:
    """Load a foreign checkpoint of the sniffed ``kind``."""
    raise CheckpointError(path, f"foreign format '{kind}' is not supported yet")
