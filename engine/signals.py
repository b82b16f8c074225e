"""Termination signals as exceptions, so that interrupted writes clean up after themselves.

By default SIGTERM ends a process at once: an export in progress leaves its hidden temporary file
behind (the final file is never touched, see :mod:`engine.fileio`). Inside
:func:`sigterm_as_exit` a SIGTERM raises ``SystemExit(143)`` in the main thread instead, so
``finally`` blocks run, writer threads are told to abort and temporary files are removed. The CLI
wraps each command in it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

SIGTERM_EXIT_CODE = 128 + signal.SIGTERM


@contextlib.contextmanager
def sigterm_as_exit(code: int = SIGTERM_EXIT_CODE) -> Iterator[None]:
    """While active (main thread only; elsewhere a no-op), SIGTERM raises ``SystemExit(code)``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum: int, frame: Any) -> None:
        raise SystemExit(code)

    old = signal.signal(signal.SIGTERM, _raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


__all__ = ["SIGTERM_EXIT_CODE", "sigterm_as_exit"]
