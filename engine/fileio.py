"""Atomic file output: everything is written under a temporary name in the target's folder and renamed
into place (``os.replace``) only once it is complete. A crash, a cancel or a failure leaves an existing
file at the target path exactly as it was, and removes only the temporary files written here.

- :func:`atomic_write` calls a writer function with a temporary path;
- :func:`atomic_output` is the same as a context manager (the temporary name keeps the target's
  suffix, so writers that pick a format by suffix, like imageio, still work);
- :func:`atomic_folder` fills a temporary folder and moves its files into the target folder at the end
  (a folder of PNG frames): files already in the target folder are replaced only on success.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_path(path: str | Path, keep_suffix: bool = True) -> Path:
    """A new, empty, hidden temporary file next to ``path``: ``.NAME.XXXX.tmp.SUFFIX`` (the same suffix
    as ``path``), or ``.NAME.XXXX.tmp`` without ``keep_suffix``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    prefix, suffix = (f".{path.stem}.", f".tmp{path.suffix}") if keep_suffix else (f".{path.name}.", ".tmp")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    os.close(fd)
    return Path(tmp)


@contextmanager
def atomic_output(path: str | Path, keep_suffix: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s content to (see :func:`temp_path`); it replaces
    ``path`` when the block ends normally and is deleted when it raises (``path`` is then untouched)."""
    path = Path(path)
    tmp = temp_path(path, keep_suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, write: Callable[[str], object]) -> Path:
    """Call ``write(tmp_path)`` and move the result onto ``path``; a crash leaves ``path`` untouched."""
    with atomic_output(path, keep_suffix=False) as tmp:
        write(str(tmp))
    return Path(path)


@contextmanager
def atomic_folder(folder: str | Path) -> Iterator[Path]:
    """Yield a new temporary folder next to ``folder``; when the block ends normally its files are moved
    into ``folder`` (created if needed, files of the same name replaced) and it is removed. When the
    block raises, only the temporary folder is removed."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    try:
        yield tmp
        folder.mkdir(parents=True, exist_ok=True)
        for f in sorted(tmp.iterdir()):
            os.replace(f, folder / f.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


__all__ = ["atomic_folder", "atomic_output", "atomic_write", "temp_path"]
