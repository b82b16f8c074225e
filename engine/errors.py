"""Errors that name a file and a reason, shared by every reader and writer.

Each says, in one line, which file and why: ``FILE: reason``. The CLI prints that line; the GUI
shows it in a dialog. File names are shown with control characters escaped (a newline in a name
does not split the line).
"""

from __future__ import annotations

from pathlib import Path


def shown(path: str | Path) -> str:
    """``path`` as text with control characters (newlines, tabs, escapes) written as ``\\n`` etc."""
    text = str(path)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class FileError(ValueError):
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


class LimitError(ValueError):
    """A value is outside what LatentLab accepts (see :mod:`engine.limits`); says the limit."""


class OutputError(OSError):
    """A file could not be written. Names the final path (never the temporary one) and the reason;
    any file that was already at that path is left as it was."""

    def __init__(self, path: str | Path, reason: str, errno: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{shown(path)}: {reason}")
        self.errno = errno


__all__ = ["DataError", "FileError", "LimitError", "OutputError", "shown"]
