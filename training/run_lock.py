"""One process per run folder: an exclusive ``flock`` on ``RUN_DIR/.lock``.

Two ``latentlab train --out same_dir`` would prune each other's checkpoints and mix their files.
:class:`RunLock` takes an exclusive, non-blocking ``fcntl.flock`` on ``RUN_DIR/.lock`` and writes
its PID there; a second process is refused at once with the holder's PID. The kernel releases a
``flock`` when its process dies (even by SIGKILL), so a lock left by a dead process is simply taken
over; the PID in the file is only for the message.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType

from engine.errors import DataError

LOCK_NAME = ".lock"


class RunLockedError(DataError):
    """The run folder is held by another process (the message names its PID)."""


class RunLock:
    """``with RunLock(run_dir):`` — hold ``run_dir`` for this process (created if missing).

    ``created`` tells whether this lock created the folder (so a caller that fails before writing
    anything can remove what it made, and only that)."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_NAME
        self.fd: int | None = None
        self.created = False

    def acquire(self) -> RunLock:
        if not self.run_dir.exists():
            self.run_dir.mkdir(parents=True)
            self.created = True
        elif not self.run_dir.is_dir():
            raise DataError("is not a folder; --out must name a run folder", self.run_dir)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"PID {holder}" if holder else "another process"
            raise RunLockedError(
                f"is in use by another training process ({who}); wait for it to finish, stop it, "
                "or choose another --out",
                self.run_dir,
            ) from None
        except OSError:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, 0)
            os.close(self.fd)  # releases the flock
            self.fd = None

    def discard(self) -> None:
        """Release, and remove the folder if this lock created it and it holds nothing else."""
        self.release()
        if self.created:
            with contextlib.suppress(OSError):
                self.path.unlink()
                self.run_dir.rmdir()

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text.isdigit() else None
    except (OSError, ValueError):
        return None


__all__ = ["LOCK_NAME", "RunLock", "RunLockedError"]
