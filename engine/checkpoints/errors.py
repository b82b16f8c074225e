"""Errors raised by checkpoint readers."""

from __future__ import annotations

from pathlib import Path

from engine.errors import LatentLabError


class CheckpointError(LatentLabError, ValueError):
    """A checkpoint could not be read: names the file and the reason."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{Path(path).name}: {reason}")
