"""Errors raised by the metrics package."""

from __future__ import annotations

from engine.errors import LatentLabError


class MetricError(LatentLabError, ValueError):
    """A metric cannot be computed from what it was given (a one-line reason for the user)."""


class Cancelled(RuntimeError):
    """An evaluation was stopped through its cancel flag."""
