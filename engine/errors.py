"""LatentLab's expected errors: the ones a user can fix, each with a one-line message.

An expected error is a file that is not what it claims, an argument out of range, a checkpoint that
does not fit what it is used with, an output that cannot be written. Every such error class derives
from :class:`LatentLabError`, and front ends show its message as one line — a dialog, or
``latentlab: error: ...`` — without a traceback. Anything else is a bug, reported as such.

Errors about a file say which file and why, ``FILE: reason``, with control characters in the name
escaped (a newline in a name does not split the line; see :func:`shown`).
"""

from __future__ import annotations

from pathlib import Path


def shown(path: str | Path) -> str:
    """``path`` as text with control characters (newlines, tabs, escapes) written as ``\\n`` etc."""
    text = str(path)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class LatentLabError(Exception):
    """An expected error, with a one-line message for the user."""


class CheckpointMismatchError(LatentLabError, ValueError):
    """A checkpoint does not fit what it is used with (another family, architecture or class count)."""


class FileError(LatentLabError, ValueError):
    """A file given to LatentLab cannot be used: ``path`` and a one-line ``reason``."""

    def __init__(self, path: str | Path | None, reason: str) -> None:
        self.path = None if path is None else str(path)
        self.reason = reason
        super().__init__(reason if path is None else f"{shown(path)}: {reason}")


class DataError(FileError):
    """Training or input data cannot be used (missing, empty, too large, unreadable).

    ``DataError(message)`` for data as a whole; ``DataError(reason, path)`` names one file."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        super().__init__(path, message)


class LimitError(LatentLabError, ValueError):
    """A value is outside what LatentLab accepts (see :mod:`engine.limits`); says the limit."""


class OutputError(LatentLabError, OSError):
    """A file could not be written. Names the final path (never the temporary one) and the reason;
    any file that was already at that path is left as it was."""

    def __init__(self, path: str | Path, reason: str, errno: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{shown(path)}: {reason}")
        self.errno = errno


__all__ = [
    "CheckpointMismatchError",
    "DataError",
    "FileError",
    "LatentLabError",
    "LimitError",
    "OutputError",
    "shown",
]
