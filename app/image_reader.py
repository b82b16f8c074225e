"""Reading dropped and opened image files off the GUI thread.

A file given to a panel may be anything: a 12000×12000 photo (seconds to decode), a decompression
bomb, a text file named ``.png``, a FIFO. :class:`ImageReader` reads it on a worker thread with
:func:`engine.images.read_image_for` (the header checked first, the image shrunk to what the model
needs), so the window keeps painting and the engine thread never waits on a file. The result or a
one-line reason naming the file comes back on the GUI thread; a read can be dropped (``cancel``)
when the panel no longer wants it.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QObject, Qt, Signal

from engine.errors import LatentLabError, shown

log = logging.getLogger(__name__)

ImageFn = Callable[[Image.Image], None]
ErrorFn = Callable[[str], None]


def describe_read_error(path: str | Path, e: BaseException) -> str:
    """One line naming ``path`` and why it could not be read."""
    if isinstance(e, LatentLabError):
        text = str(e)
        return text if shown(path) in text else f"{shown(path)}: {text}"
    if isinstance(e, MemoryError):
        return f"{shown(path)}: not enough memory to read this image"
    if isinstance(e, OSError):
        return f"{shown(path)}: cannot read ({(e.strerror or str(e)).lower()})"
    return f"{shown(path)}: cannot read ({type(e).__name__}: {e})"


class ImageReader(QObject):
    """Reads image files one at a time on a worker thread; callbacks run on the GUI thread.

    ``read(path, size, on_image, on_error)`` returns a ticket; ``on_image(PIL image)`` gets the
    image (upright, mode normalised, shrunk so its shorter side keeps ``size`` pixels), or
    ``on_error(reason)`` one line naming the file. ``cancel(ticket)`` drops a pending read's callbacks.
    """

    _finished = Signal(int, object, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="latentlab-image-reader")
        self._pending: dict[int, tuple[ImageFn, ErrorFn]] = {}
        self._tickets = itertools.count(1)
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self.destroyed.connect(lambda *_: self._pool.shutdown(wait=False, cancel_futures=True))

    def read(self, path: str, size: int, on_image: ImageFn, on_error: ErrorFn) -> int:
        """Read ``path`` for a model input of ``size``² on the worker; returns the read's ticket."""
        ticket = next(self._tickets)
        self._pending[ticket] = (on_image, on_error)
        self._pool.submit(self._work, ticket, str(path), int(size))
        return ticket

    def cancel(self, ticket: int | None) -> None:
        """Forget the read ``ticket``: its callbacks will not run."""
        if ticket is not None:
            self._pending.pop(ticket, None)

    @property
    def busy(self) -> bool:
        """Whether a read is still pending."""
        return bool(self._pending)

    def _work(self, ticket: int, path: str, size: int) -> None:
        from engine.images import read_image_for

        try:
            image, error = read_image_for(path, size), ""
        except Exception as e:  # every failure is reported, none escapes the worker
            log.info("cannot read %s", path, exc_info=True)
            image, error = None, describe_read_error(path, e)
        with contextlib.suppress(RuntimeError):  # the reader was deleted meanwhile
            self._finished.emit(ticket, image, error)

    def _deliver(self, ticket: int, image: object, error: str) -> None:
        callbacks = self._pending.pop(ticket, None)
        if callbacks is None:
            return
        on_image, on_error = callbacks
        if image is None:
            on_error(error or "cannot read the image")
        else:
            on_image(image)  # type: ignore[arg-type]


__all__ = ["ImageReader", "describe_read_error"]
