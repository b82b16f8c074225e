"""The explorer's shared state: the engine client, the current model, the current parameters (with
undo), the frame on the canvas, and the long tasks shown in the status bar.

Panels are bound to one :class:`Session` (``ParamPanel.bind``): they read the model and parameters
from it, submit their own engine jobs through :meth:`Session.model_job` (whose callbacks are dropped
once another model is open) and report errors through :meth:`Session.show_error`. The main window
only composes: it shows the session's errors, messages and tasks.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from app.engine_client import DoneFn, EngineClient, ErrorFn, ProgressFn
from app.params import Params
from app.undo import ParamCommand
from engine.api import JobHandle, JobProgress, JobResult, RenderRequest, RenderResult
from engine.families import LoadedModel
from engine.families.base import Capabilities
from engine.runtime import EngineContext

log = logging.getLogger(__name__)


def short_name(source: str) -> str:
    """A file name for a path, else the text itself (a bundled model's name)."""
    return Path(source).name if ("/" in source or "\\" in source) else source


@dataclass(frozen=True)
class OpenModel:
    """The model the explorer shows: its engine id, capabilities, metadata, display name and source
    (the bundled name or path it was opened from)."""

    model_id: str
    caps: Capabilities
    meta: dict[str, Any] = field(compare=False)
    name: str
    source: str


@dataclass
class Task:
    """A long job shown in the status bar (a load, an export): its handle, a label and its step count
    (0 while unknown)."""

    handle: JobHandle
    label: str
    total: int = 0


class Session(QObject):
    """One explorer's state, shared by its panels.

    Signals: ``model_changed(OpenModel)`` after a model is open and the parameters are adapted to it;
    ``params_changed(Params)`` on every edit, undo and redo; ``error_raised(title, text)`` for a
    dialog; ``message(text, ms)`` for the status bar; ``task_started(Task)``,
    ``task_progress(JobProgress)`` and ``task_ended(Task)`` for the status bar's progress and Cancel.
    """

    model_changed = Signal(object)
    params_changed = Signal(object)
    error_raised = Signal(str, str)
    message = Signal(str, int)
    task_started = Signal(object)
    task_progress = Signal(object)
    task_ended = Signal(object)

    def __init__(self, client: EngineClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.model: OpenModel | None = None
        self.params = Params()
        self.undo_stack = QUndoStack(self)
        self.last_frame: RenderResult | None = None
        self.walk_frame_shown = False  # the canvas shows a frame of the walk, not the current latent
        self.tasks: dict[int, Task] = {}
        self._request: tuple[Params, str, RenderRequest] | None = None

    # --- the model -------------------------------------------------------------------------------
    @property
    def model_id(self) -> str | None:
        return self.model.model_id if self.model is not None else None

    @property
    def caps(self) -> Capabilities | None:
        return self.model.caps if self.model is not None else None

    def open_model(self, source: str) -> JobHandle:
        """Load a bundled model name or a checkpoint path as a task; the model switches when it is ready."""
        if os.path.exists(source):
            source = os.path.abspath(source)

        def failed(result: JobResult) -> None:
            if result.cancelled:
                self.message.emit("Loading cancelled", 3000)
                return
            self.message.emit(f"Could not open {short_name(source)}", 5000)
            self.show_error("Cannot open model", f"Could not open “{source}”.\n\n{result.error}")

        self.message.emit(f"Loading {short_name(source)}…", 0)
        ends: list[Callable[[Any], None]] = []
        handle = self.client.load(
            source,
            on_progress=self._task_progress,
            on_done=self._ending(ends, self._install),
            on_error=self._ending(ends, failed),
        )
        self._start_task(Task(handle, f"Loading {short_name(source)}"))
        ends.append(lambda _: self._end_task(handle.job_id))
        return handle

    def _install(self, loaded: tuple[str, Capabilities, dict[str, Any]]) -> None:
        model_id, caps, meta = loaded
        previous = self.model_id
        name = str(meta.get("name") or model_id)
        self.model = OpenModel(model_id, caps, dict(meta), name, str(meta.get("source") or meta.get("path") or name))
        self.client.invalidate()  # frames in flight belong to the previous model
        self.params = self.params.adapted(caps)
        self.last_frame = None
        self.undo_stack.clear()
        self.model_changed.emit(self.model)
        self.message.emit(f"Loaded {name}", 3000)
        self.params_changed.emit(self.params)
        if previous is not None and previous != model_id:
            self.client.unload(previous)

    # --- parameters & undo -----------------------------------------------------------------------
    def edit(self, key: str, changes: dict[str, Any]) -> None:
        """An edit from control ``key``: an undo step (merged while the same control keeps moving)."""
        if self.model is None:
            return
        new = self.params.replace(**changes)
        if new != self.params:
            self.undo_stack.push(ParamCommand(self.apply, self.params, new, key))

    def preview(self, changes: dict[str, Any]) -> None:
        """A transient change (an animation frame): shown and rendered, not an undo step."""
        if self.model is not None:
            self.apply(self.params.replace(**changes))

    def apply(self, params: Params) -> None:
        """Make ``params`` current (every panel shows them and the frame follows)."""
        self.params = params
        self.params_changed.emit(params)

    def seal_undo(self) -> None:
        """End the current merge: the next edit becomes its own undo step."""
        i = self.undo_stack.index()
        cmd = self.undo_stack.command(i - 1) if i > 0 else None
        if isinstance(cmd, ParamCommand):
            cmd.sealed = True

    def request(self) -> RenderRequest | None:
        """The render request the current parameters describe (None without a model); built once per
        parameter change."""
        if self.model is None:
            return None
        cached = self._request
        if cached is not None and cached[0] is self.params and cached[1] == self.model.model_id:
            return cached[2]
        req = self.params.to_request(self.model.model_id, self.model.caps)
        self._request = (self.params, self.model.model_id, req)
        return req

    # --- jobs ------------------------------------------------------------------------------------
    def submit_job(
        self,
        name: str,
        fn: Callable[[EngineContext], Any],
        *,
        on_progress: ProgressFn | None = None,
        on_done: DoneFn | None = None,
        on_error: ErrorFn | None = None,
        task: str | None = None,
        total: int = 0,
        current_only: bool = True,
    ) -> JobHandle | None:
        """Run ``fn(ctx)`` as an engine job for the current model (None without a model). Its
        callbacks run on the GUI thread, and (``current_only``) only while that model is still the
        current one. With a ``task`` label the job is also shown in the status bar (progress of
        ``total`` steps, Cancel)."""
        if self.model is None:
            return None
        mid = self.model.model_id

        def current(cb: Callable[[Any], None] | None) -> Callable[[Any], None]:
            return lambda x: cb(x) if cb is not None and (self.model_id == mid or not current_only) else None

        ends: list[Callable[[Any], None]] = []
        progress = current(on_progress)
        if task is not None:
            progress = self._both(self._task_progress, progress)
        handle = self.client.submit_job(
            name,
            fn,
            on_progress=progress,
            on_done=self._ending(ends, current(on_done)),
            on_error=self._ending(ends, current(on_error)),
        )
        if task is not None:
            self._start_task(Task(handle, task, total))
            ends.append(lambda _: self._end_task(handle.job_id))
        return handle

    def model_job(self, name: str, fn: Callable[[LoadedModel], Any], **callbacks: Any) -> JobHandle | None:
        """:meth:`submit_job` of ``fn(model)`` on the current model (same keyword arguments)."""
        mid = self.model_id
        return self.submit_job(name, lambda ctx: fn(ctx.model(mid)), **callbacks)

    @staticmethod
    def _both(first: Callable[[Any], None], second: Callable[[Any], None]) -> Callable[[Any], None]:
        def call(x: Any) -> None:
            first(x)
            second(x)

        return call

    @staticmethod
    def _ending(ends: list[Callable[[Any], None]], cb: Callable[[Any], None]) -> Callable[[Any], None]:
        """``cb``, after the calls in ``ends`` (filled in once the job's handle exists)."""

        def call(x: Any) -> None:
            for end in ends:
                end(x)
            cb(x)

        return call

    def _start_task(self, task: Task) -> None:
        self.tasks[task.handle.job_id] = task
        self.task_started.emit(task)

    def _task_progress(self, progress: JobProgress) -> None:
        if progress.job_id in self.tasks:
            self.task_progress.emit(progress)

    def _end_task(self, job_id: int) -> None:
        task = self.tasks.pop(job_id, None)
        if task is not None:
            self.task_ended.emit(task)

    def cancel_tasks(self) -> None:
        """Cancel every task shown in the status bar."""
        for task in list(self.tasks.values()):
            task.handle.cancel()

    # --- reporting -------------------------------------------------------------------------------
    def show_error(self, title: str, text: str) -> None:
        """Ask for a dialog (the window shows it)."""
        self.error_raised.emit(title, text)

    def status(self, text: str, ms: int = 3000) -> None:
        """A status bar message for ``ms`` milliseconds (0: until the next)."""
        self.message.emit(text, ms)


__all__ = ["OpenModel", "Session", "Task", "short_name"]
