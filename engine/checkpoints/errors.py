"""Errors raised by checkpoint readers."""

from __future__ import annotations

from pathlib import Path

from engine.errors import FileError, shown


class CheckpointError(FileError):
    """A checkpoint could not be read: names the file and the reason."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(path, reason)
        self.args = (f"{shown(Path(path).name or str(path))}: {reason}",)
