"""Cooperative interruption of a long render: models call :func:`check` at safe points (between layers).

The engine thread installs a predicate with :func:`checking` while it renders an interactive frame;
when the predicate says the frame is no longer wanted (a newer request waits on the same channel),
:func:`check` raises :class:`Interrupted` and the engine drops the frame. Outside :func:`checking`
(the CLI, jobs, tests) :func:`check` does nothing. The predicate is per thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator


class Interrupted(Exception):
    """The frame being rendered was superseded; nothing is wrong."""


_local = threading.local()


@contextlib.contextmanager
def checking(superseded: Callable[[], bool]) -> Iterator[None]:
    """Within the block, :func:`check` raises :class:`Interrupted` once ``superseded()`` is true."""
    previous = getattr(_local, "superseded", None)
    _local.superseded = superseded
    try:
        yield
    finally:
        _local.superseded = previous


def check() -> None:
    """Raise :class:`Interrupted` when the current thread's frame is no longer wanted."""
    superseded = getattr(_local, "superseded", None)
    if superseded is not None and superseded():
        raise Interrupted


__all__ = ["Interrupted", "check", "checking"]
