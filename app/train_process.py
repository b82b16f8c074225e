"""A ``latentlab train`` child process (QProcess) read through its JSON-lines events."""

from __future__ import annotations

import json
import logging
import os
import sys

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, Signal

log = logging.getLogger(__name__)


def train_command(args: list[str]) -> tuple[str, list[str]]:
    """Program and arguments that run ``latentlab train ARGS`` with this interpreter."""
    return sys.executable, ["-m", "training.run", *args]


class TrainProcess(QObject):
    """Runs one ``python -m training.run ...`` at a time.

    - ``event(dict)``: one parsed event line (``start``, ``step``, ``sample``, ``checkpoint``, ``paused``,
      ``continued``, ``done``, ``error``, ``data``...);
    - ``finished(int, str)``: the exit code (-1 after a crash or a kill) and the last stderr lines.

    Started with ``control=True``, the trainer reads commands on its standard input
    (``--control stdin``, see :mod:`training.control`): :meth:`send` writes ``pause``, ``continue``,
    ``checkpoint`` or ``stop``, and :meth:`stop` is ``stop`` there (it works on Windows too, where a
    console child cannot be sent SIGTERM). Without it, :meth:`stop` sends SIGTERM, which the trainer
    also turns into "checkpoint, then stop".
    """

    event = Signal(object)
    finished = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.proc: QProcess | None = None
        self._buf = b""
        self._err = b""
        self.control = False

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.state() != QProcess.ProcessState.NotRunning

    def start(self, args: list[str], control: bool = False) -> None:
        """Start ``latentlab train ARGS`` (with a command channel on stdin when ``control``)."""
        if self.running:
            raise RuntimeError("a training process is already running")
        proc = QProcess(self)
        env = QProcessEnvironment.systemEnvironment()
        env.insert("PYTHONUNBUFFERED", "1")
        proc.setProcessEnvironment(env)
        proc.readyReadStandardOutput.connect(self._read_out)
        proc.readyReadStandardError.connect(self._read_err)
        proc.finished.connect(self._on_finished)
        proc.errorOccurred.connect(self._on_error)
        self._buf, self._err = b"", b""
        self.proc = proc
        self.control = control
        program, argv = train_command([*args, "--control", "stdin"] if control else args)
        log.info("starting %s %s", program, " ".join(argv))
        proc.setWorkingDirectory(os.getcwd())
        proc.start(program, argv)

    def send(self, command: str) -> bool:
        """Write one control command (see :mod:`training.control`); False when there is no channel."""
        if not (self.running and self.control):
            return False
        log.info("train control: %s", command)
        return self.proc.write(f"{command}\n".encode()) >= 0

    def stop(self) -> None:
        """Ask the run to checkpoint and stop (the ``stop`` command, or SIGTERM without a channel)."""
        if self.running and not self.send("stop"):
            self.proc.terminate()

    def wait(self, ms: int) -> bool:
        return self.proc is None or self.proc.waitForFinished(ms)

    def kill(self) -> None:
        if self.running:
            self.proc.kill()

    def _read_out(self) -> None:
        self._buf += bytes(self.proc.readAllStandardOutput())
        *lines, self._buf = self._buf.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                log.info("train: %s", line)
                continue
            if isinstance(rec, dict) and "event" in rec:
                self.event.emit(rec)

    def _read_err(self) -> None:
        self._err = (self._err + bytes(self.proc.readAllStandardError()))[-8000:]

    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read_out()
        self._read_err()
        tail = "\n".join(self._err.decode("utf-8", "replace").strip().splitlines()[-5:])
        crashed = status == QProcess.ExitStatus.CrashExit
        self.finished.emit(-1 if crashed else int(code), tail)

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.finished.emit(-1, f"could not start {sys.executable}")
