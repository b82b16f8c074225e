"""The base of LatentLab's expected errors.

An expected error is one the user can fix: a file that is not what it claims, an argument out of
range, a checkpoint that does not fit what it is used with. Every such error class derives from
:class:`LatentLabError` (most also from ``ValueError``), and front ends show its message as one line —
a dialog, or ``latentlab: error: ...`` — without a traceback. Anything else is a bug, reported as such.
"""

from __future__ import annotations


class LatentLabError(Exception):
    """An expected error, with a one-line message for the user."""


class CheckpointMismatchError(LatentLabError, ValueError):
    """A checkpoint does not fit what it is used with (another family, architecture or class count)."""


__all__ = ["CheckpointMismatchError", "LatentLabError"]
