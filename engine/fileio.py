"""The one output rule for every file LatentLab writes, and bounded reading of small files.

Every output (video, GIF, PNG, npy/npz, safetensors, checkpoints, projects, settings) is written to a
temporary file *in the same folder* (``.NAME.RANDOM.tmp.SUFFIX``: hidden, same suffix so writers that
choose a format by suffix still do), flushed and fsync'ed, given the permissions the final file should
have (those of the file it replaces, else ``0666`` minus the umask), then moved onto the final name
with ``os.replace``. Readers therefore see the old file or the complete new one, never a partial one.
On failure, cancel (an exception or ``GeneratorExit`` inside the block) or a signal, only the
temporary file is removed; a file already at the final path is never touched. A process killed with
SIGKILL can leave a temporary file behind (a hidden ``.tmp`` beside the output); it is never confused
with the output, and run folders clean their own on resume.

Failures to write become :class:`~engine.errors.OutputError`, naming the final path (never the
temporary one) and the reason in words ("no space left on device", "permission denied").
"""

from __future__ import annotations

import contextlib
import errno as errno_mod
import json
import os
import re
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from engine.errors import FileError, OutputError
from engine.limits import MAX_SIDECAR_BYTES, check_regular_file, size_text

TEMP_MARK = ".tmp"

_REASONS = {
    errno_mod.ENOSPC: "no space left on device",
    errno_mod.EDQUOT: "disk quota exceeded",
    errno_mod.EFBIG: "file too large for this file system or size limit",
    errno_mod.EACCES: "permission denied",
    errno_mod.EPERM: "permission denied",
    errno_mod.EROFS: "read-only file system",
    errno_mod.ENOENT: "folder does not exist",
    errno_mod.ENOTDIR: "a parent of it is not a folder",
    errno_mod.EISDIR: "is a folder",
    errno_mod.ENAMETOOLONG: "file name too long",
    errno_mod.EIO: "input/output error",
}

_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask (read from ``/proc`` where possible; else set-and-restore under a lock)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def output_mode(path: str | Path) -> int:
    """Permissions for a new version of ``path``: those of the file it replaces, else 0666 minus the umask."""
    try:
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    except OSError:
        pass
    return 0o666 & ~current_umask()


def describe_os_error(e: OSError) -> str:
    """A short reason for an OSError, in words (no temporary file names)."""
    if e.errno in _REASONS:
        return _REASONS[e.errno]
    return (e.strerror or type(e).__name__).lower()


def output_error(path: str | Path, e: OSError) -> OutputError:
    """``e`` (raised while writing ``path`` or its temporary file) as an error naming ``path``."""
    if isinstance(e, OutputError):
        return e
    return OutputError(path, f"cannot write ({describe_os_error(e)})", e.errno)


def temp_pattern(name: str) -> str:
    """Glob pattern matching the temporary files :func:`atomic_output` makes for final name ``name``."""
    suffix = Path(name).suffix
    return f".{name}.*{TEMP_MARK}{suffix}"


def _fsync_path(path: str | Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_target(path: Path) -> None:
    try:
        st = os.stat(path)
    except OSError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(path, "exists and is not a regular file; choose another name")


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; on success it replaces ``path``.

    On any exception (including ``GeneratorExit`` and ``KeyboardInterrupt``) only the temporary file
    is removed and the exception propagates (an ``OSError`` as :class:`OutputError` naming ``path``).
    """
    final = Path(path)
    _check_target(final)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=TEMP_MARK + final.suffix)
        os.close(fd)
    except OSError as e:
        raise output_error(final, e) from e
    tmp = Path(tmp_name)
    try:
        yield tmp
        if not tmp.exists():
            raise OutputError(final, "the writer produced no file")
        os.chmod(tmp, output_mode(final))
        _fsync_path(tmp)
        os.replace(tmp, final)
    except BaseException as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(e, OSError):
            raise output_error(final, e) from e
        raise
    with contextlib.suppress(OSError):  # the rename is durable once the folder is synced
        _fsync_path(final.parent, directory=True)


def atomic_write(path: str | Path, write: Callable[[str], object]) -> Path:
    """Call ``write(tmp_path)`` and move the result onto ``path`` (see :func:`atomic_output`)."""
    with atomic_output(path) as tmp:
        write(str(tmp))
    return Path(path)


class _RecordingFile:
    """A binary/text file whose failed writes are remembered: writers such as ``torch.save`` turn an
    ``OSError`` from ``write`` into their own error ("inline_container.cc …"); :func:`atomic_open`
    raises the remembered ``OSError`` instead (as an :class:`OutputError` naming the final file)."""

    def __init__(self, raw: IO[Any]) -> None:
        self._raw = raw
        self.error: OSError | None = None

    def write(self, data: Any) -> int:
        try:
            return self._raw.write(data)
        except OSError as e:
            self.error = e
            raise

    def flush(self) -> None:
        try:
            self._raw.flush()
        except OSError as e:
            self.error = e
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "wb", encoding: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; it replaces ``path`` when the block ends
    without an exception (``mode`` is ``"wb"`` or ``"w"``). A write that failed inside a library that
    hides the ``OSError`` (``torch.save``) is still reported as the ``OSError``."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_open writes only ('wb' or 'w'), got {mode!r}")
    with atomic_output(path) as tmp, open(tmp, mode, encoding=encoding if mode == "w" else None) as raw:
        f = _RecordingFile(raw)
        try:
            yield f  # type: ignore[misc]
            f.flush()
        except BaseException as e:
            if f.error is not None and not isinstance(e, OSError):
                raise f.error from e
            raise


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as f:
        f.write(data)
    return Path(path)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path, "w", encoding=encoding) as f:
        f.write(text)
    return Path(path)


_TEMP_NAME = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}" + re.escape(TEMP_MARK) + r"(?P<suffix>\.[^.]*)?$")
"""What :func:`atomic_output` names a temporary file: ``.NAME.`` + mkstemp's 8 random characters +
``.tmp`` + NAME's suffix."""


def remove_stale_temps(folder: str | Path, name_glob: str = "*") -> list[Path]:
    """Remove the temporary files :func:`atomic_output` left in ``folder`` for outputs matching
    ``name_glob`` (after a SIGKILL or power loss). Only regular files named exactly as
    :func:`atomic_output` names them (and whose suffix is their output's) are touched; call it only
    on folders this process owns (a locked run folder)."""
    removed = []
    for p in Path(folder).glob(f".{name_glob}.*{TEMP_MARK}*"):
        m = _TEMP_NAME.match(p.name)
        if m is None or Path(m.group("name")).suffix != (m.group("suffix") or "") or p.is_symlink() or not p.is_file():
            continue
        with contextlib.suppress(OSError):
            p.unlink()
            removed.append(p)
    return removed


def read_small_bytes(path: str | Path, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (FIFOs, devices, folders and larger files
    are refused before reading; :class:`~engine.errors.FileError` names the file)."""
    check_regular_file(path, max_bytes, what)
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise FileError(path, f"cannot read {what} ({describe_os_error(e)})") from e
    if len(data) > max_bytes:  # grew since the check
        raise FileError(path, f"{what} is more than the limit of {size_text(max_bytes)}")
    return data


def read_json_file(path: str | Path, max_bytes: int = MAX_SIDECAR_BYTES, what: str = "JSON file") -> Any:
    """Parse a small JSON file (size checked before reading); :class:`~engine.errors.FileError` for
    anything that is not a readable JSON document."""
    data = read_small_bytes(path, max_bytes, what)
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise FileError(path, f"{what} is not UTF-8 text") from e
    except json.JSONDecodeError as e:
        raise FileError(path, f"{what} is not valid JSON ({e.msg} at line {e.lineno})") from e
    except RecursionError as e:
        raise FileError(path, f"{what} is nested too deeply") from e
