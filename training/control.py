"""Pause, continue, checkpoint and stop a running training loop from outside it.

``latentlab train --control stdin`` reads one command per line on standard input:

- ``pause``: finish the current step, emit ``paused`` and wait (no CPU used) until ``continue``;
- ``continue`` (or ``resume``): go on from the step it paused at, emitting ``continued``;
- ``checkpoint``: write a checkpoint (and export the model) at the next step boundary, paused or not;
- ``stop``: checkpoint and stop, as SIGTERM does (``done`` with ``stopped: true``).

Why standard input rather than a file in the run folder: a pipe works the same on Linux, macOS and
Windows (where a console child cannot be sent SIGTERM, so Stop needs it too), the parent writes to it
with ``QProcess.write``, nothing polls the file system, and nothing is left behind: a stale ``pause``
file would freeze the next ``--resume`` of the run. The channel is off by default, so a run in a
terminal treats its keyboard as it always did. When the parent goes away (end of input) a paused run
can never be continued, so it stops with a checkpoint; a running one goes on.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator

log = logging.getLogger(__name__)

COMMANDS = ("pause", "continue", "resume", "checkpoint", "stop")


class RunControl:
    """Requests for the loop, set by a reader thread or a signal handler and read between steps.

    The state sits under a :class:`threading.Condition` on an ``RLock``: the SIGTERM handler runs on
    the main thread, possibly while that thread is inside :meth:`wait_while_paused`, and must be able
    to take the lock again there to wake it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.RLock())
        self._paused = False
        self._stop = False
        self._checkpoint = False
        self.channel: str | None = None
        """Where commands come from (``"stdin"``), or None when only SIGTERM can stop the run."""

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stop_requested(self) -> bool:
        return self._stop

    def submit(self, command: str) -> bool:
        """Apply one command (see the module docstring); False, with a warning, for an unknown one."""
        cmd = command.strip().lower()
        with self._cond:
            if cmd == "pause":
                self._paused = True
            elif cmd in ("continue", "resume"):
                self._paused = False
            elif cmd == "checkpoint":
                self._checkpoint = True
            elif cmd == "stop":
                self._stop = True
            else:
                log.warning("unknown control command %r (expected one of %s)", cmd, ", ".join(COMMANDS))
                return False
            self._cond.notify_all()
        return True

    def request_stop(self) -> None:
        """Stop at the next step boundary (safe to call from a signal handler)."""
        self.submit("stop")

    def close(self) -> None:
        """The command channel ended: a paused run could never continue, so it stops."""
        with self._cond:
            if self._paused:
                log.warning("the control channel closed while paused: stopping with a checkpoint")
                self._stop = True
                self._cond.notify_all()

    def take_checkpoint_request(self) -> bool:
        """Whether a checkpoint was asked for since the last call (clears the request)."""
        with self._cond:
            asked, self._checkpoint = self._checkpoint, False
        return asked

    def wait_for_command(self) -> None:
        """Block until a pause ends, a stop or a checkpoint is asked for (returns at once if one is due)."""
        with self._cond:
            self._cond.wait_for(lambda: not self._paused or self._stop or self._checkpoint)

    def read_lines(self, lines: Iterable[str]) -> None:
        """Submit each non-empty line as a command until ``lines`` ends, then :meth:`close`."""
        try:
            for line in lines:
                if line.strip():
                    self.submit(line)
        except (OSError, ValueError) as e:  # a closed or broken pipe ends the channel like EOF
            log.warning("control channel failed: %s", e)
        finally:
            self.close()

    def listen(self, lines: Iterable[str], name: str) -> threading.Thread:
        """Read commands from ``lines`` on a daemon thread (it never keeps the process alive)."""
        self.channel = name
        thread = threading.Thread(target=self.read_lines, args=(lines,), name=f"control-{name}", daemon=True)
        thread.start()
        return thread


def fd_lines(fd: int) -> Iterator[str]:
    """Lines read from a file descriptor with ``os.read``.

    Not ``sys.stdin``: a daemon thread blocked inside a buffered reader holds its lock, and the
    interpreter aborts at exit when it finds that lock taken."""
    buf = b""
    while chunk := os.read(fd, 4096):
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            yield line.decode("utf-8", "replace")
    if buf:
        yield buf.decode("utf-8", "replace")


class Stopwatch:
    """Seconds of training: wall time since :meth:`start` less the time spent paused."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._t0 = clock()
        self._paused_total = 0.0
        self._paused_since: float | None = None

    def pause(self) -> None:
        if self._paused_since is None:
            self._paused_since = self._clock()

    def resume(self) -> float:
        """End a pause; returns its length in seconds."""
        if self._paused_since is None:
            return 0.0
        length = self._clock() - self._paused_since
        self._paused_total += length
        self._paused_since = None
        return length

    @property
    def elapsed(self) -> float:
        now = self._paused_since if self._paused_since is not None else self._clock()
        return now - self._t0 - self._paused_total
