"""The only bridge between the engine thread and Qt: engine callbacks become GUI-thread signals.

The engine calls its callbacks on its own thread. Each callback here emits a private signal of
this QObject (which lives in the GUI thread), so Qt queues the call to the GUI thread; the private
slot then filters (stale frames) and re-emits the public signals. Every public signal is therefore
emitted on the GUI thread, whatever is connected to it.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from engine.api import JobHandle, JobProgress, JobResult, RenderRequest, RenderResult
from engine.families.base import Capabilities
from engine.runtime import Engine, EngineContext

log = logging.getLogger(__name__)

MAIN_CHANNEL = "main"


class EngineClient(QObject):
    """A QObject wrapping an :class:`Engine`; its signals always fire on the GUI thread.

    Signals:
    - ``frame(RenderResult)``: a render result (frame or error) that is not stale;
      ``channel_frame(str, RenderResult)`` is the same with its channel.
    - ``model_loaded(model_id, Capabilities, meta)`` / ``load_failed(path, reason)``; ``meta["source"]``
      is what was asked for (a bundled name or a path).
    - ``job_progress(JobProgress)`` / ``job_done(JobResult)``: for every job, loads included.
    """

    frame = Signal(object)
    channel_frame = Signal(str, object)
    model_loaded = Signal(str, object, object)
    load_failed = Signal(str, str)
    job_progress = Signal(object)
    job_done = Signal(object)

    # Private hops from the engine thread (queued because the receiver lives in the GUI thread).
    _result_hop = Signal(str, object)
    _progress_hop = Signal(object)
    _done_hop = Signal(object, object)

    def __init__(self, engine: Engine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._latest: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._result_hop.connect(self._on_result)
        self._progress_hop.connect(self._on_progress)
        self._done_hop.connect(self._on_done)

    # --- rendering -------------------------------------------------------------------------
    def submit(self, request: RenderRequest, channel: str = MAIN_CHANNEL) -> int:
        """Send ``request`` to ``channel`` (latest wins); returns its generation."""
        gen = self.engine.submit(channel, request, lambda r, ch=channel: self._result_hop.emit(ch, r))
        self._latest[channel] = max(gen, self._latest.get(channel, 0))
        return gen

    def latest_generation(self, channel: str = MAIN_CHANNEL) -> int:
        """The newest generation submitted on ``channel`` (0 before any)."""
        return self._latest.get(channel, 0)

    @Slot(str, object)
    def _on_result(self, channel: str, result: RenderResult) -> None:
        if result.generation < self._latest.get(channel, 0):
            log.debug("dropping stale frame %d on %s", result.generation, channel)
            return
        self.channel_frame.emit(channel, result)
        self.frame.emit(result)

    # --- models ----------------------------------------------------------------------------
    def load(self, name_or_path: str | Path | None, model_id: str | None = None) -> JobHandle:
        """Load a bundled model or a checkpoint file as an engine job.

        Ends in ``model_loaded`` or ``load_failed``; ``model_id`` defaults to a fresh unique id.
        """
        label = str(name_or_path) if name_or_path else ""
        mid = model_id or f"{Path(label).stem or 'model'}#{next(self._ids)}"

        def done(result: JobResult) -> None:
            self._done_hop.emit(result, ("load", label))

        return self.engine.load(name_or_path, mid, on_progress=self._progress_hop.emit, on_done=done)

    def unload(self, model_id: str) -> JobHandle:
        """Drop a loaded model from the engine (a job)."""
        return self.submit_job(f"unload {model_id}", lambda ctx: ctx.remove_model(model_id))

    def capabilities(self, model_id: str) -> Capabilities:
        return self.engine.capabilities(model_id)

    # --- jobs --------------------------------------------------------------------------------
    def submit_job(self, name: str, fn: Callable[[EngineContext], Any]) -> JobHandle:
        """Run ``fn`` as an engine job; progress and the end come back as ``job_progress``/``job_done``."""
        return self.engine.submit_job(
            name, fn, on_progress=self._progress_hop.emit, on_done=lambda r: self._done_hop.emit(r, None)
        )

    @Slot(object)
    def _on_progress(self, progress: JobProgress) -> None:
        self.job_progress.emit(progress)

    @Slot(object, object)
    def _on_done(self, result: JobResult, tag: tuple[str, str] | None) -> None:
        if tag is not None and tag[0] == "load":
            path = tag[1]
            if result.ok:
                model_id, caps, meta = result.value
                meta = dict(meta)
                meta.setdefault("source", path or meta.get("path", ""))
                self.model_loaded.emit(model_id, caps, meta)
            else:
                self.load_failed.emit(path, result.error or "cancelled")
        self.job_done.emit(result)
