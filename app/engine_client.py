"""The only bridge between the engine thread and Qt: engine callbacks become GUI-thread calls.

The engine calls its callbacks on its own thread. Each callback here emits a private signal of
this QObject (which lives in the GUI thread), so Qt queues the call to the GUI thread, where the
caller's own callback runs. Whoever submits work receives its results: a job's ``on_progress``,
``on_done`` and ``on_error`` (see :meth:`EngineClient.submit_job`), and each channel's frames
through :attr:`EngineClient.frame`.

Staleness has one rule, end to end: the engine keeps one waiting request per channel (a new one
replaces it), and every result carries its request's generation stamp. Results of one channel arrive
in the order they were submitted, so each is newer than the last one shown; a result is stale only
when its stamp is at or below the channel's floor, which :meth:`EngineClient.invalidate` raises to
the newest stamp (a new model was opened: frames in flight belong to the old one).
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

ProgressFn = Callable[[JobProgress], None]
DoneFn = Callable[[Any], None]
ErrorFn = Callable[[JobResult], None]


class EngineClient(QObject):
    """A QObject wrapping an :class:`Engine`; everything it calls back runs on the GUI thread.

    - ``frame(channel, RenderResult, prepared)``: a render result (frame or error) that is not stale,
      with what the submission's ``prepare`` made of it on the engine thread (else None).
    - :meth:`submit_job` / :meth:`load`: the caller's callbacks receive progress, the value
      (``on_done``) or the failed or cancelled :class:`JobResult` (``on_error``).
    """

    frame = Signal(str, object, object)

    # Private hops from the engine thread (queued because the receiver lives in the GUI thread).
    _result_hop = Signal(str, object, object)
    _progress_hop = Signal(object, object)
    _done_hop = Signal(object, object, object)

    def __init__(self, engine: Engine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._floor: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._result_hop.connect(self._on_result)
        self._progress_hop.connect(self._on_progress)
        self._done_hop.connect(self._on_done)

    # --- rendering -------------------------------------------------------------------------
    def submit(
        self,
        request: RenderRequest,
        channel: str = MAIN_CHANNEL,
        prepare: Callable[[RenderResult], Any] | None = None,
        priority: int = 0,
        interruptible: bool = False,
    ) -> int:
        """Send ``request`` to ``channel`` (it replaces a request still waiting there); returns its stamp.
        Waiting requests of a higher ``priority`` are rendered first. An ``interruptible`` frame is
        abandoned when a newer request reaches its channel (or one of higher priority) before it is
        done: no result comes back for it.

        ``prepare(result)``, when given, runs on the engine thread right after the render (e.g. the
        frame's conversion and scaling for display, so the GUI thread only blits); its value comes
        with the result as ``frame``'s third argument (None when it raised, logged)."""

        def done(result: RenderResult) -> None:
            prepared = None
            if prepare is not None and result.ok:
                try:
                    prepared = prepare(result)
                except Exception:
                    log.exception("preparing a frame for display failed")
            self._result_hop.emit(channel, result, prepared)

        return self.engine.submit(channel, request, done, priority, interruptible)

    def invalidate(self) -> None:
        """Make every result of the requests submitted so far stale, on every channel."""
        for channel in self.engine.channels():
            self._floor[channel] = self.engine.generation(channel)

    @Slot(str, object, object)
    def _on_result(self, channel: str, result: RenderResult, prepared: object) -> None:
        if result.generation <= self._floor.get(channel, 0):
            log.debug("dropping stale frame %d on %s", result.generation, channel)
            return
        self.frame.emit(channel, result, prepared)

    # --- models ----------------------------------------------------------------------------
    def load(
        self,
        name_or_path: str | Path | None,
        model_id: str | None = None,
        *,
        on_progress: ProgressFn | None = None,
        on_done: DoneFn | None = None,
        on_error: ErrorFn | None = None,
    ) -> JobHandle:
        """Load a bundled model or a checkpoint file as an engine job.

        ``on_done`` receives ``(model_id, capabilities, meta)``, where ``meta["source"]`` is what was
        asked for (a bundled name or a path); ``model_id`` defaults to a fresh unique id.
        """
        label = str(name_or_path) if name_or_path else ""
        mid = model_id or f"{Path(label).stem or 'model'}#{next(self._ids)}"

        def loaded(value: tuple[str, Capabilities, dict[str, Any]]) -> None:
            model_id, caps, meta = value
            meta = dict(meta)
            meta.setdefault("source", label or meta.get("path", ""))
            if on_done is not None:
                on_done((model_id, caps, meta))

        return self.engine.load(
            name_or_path,
            mid,
            on_progress=lambda p: self._progress_hop.emit(p, on_progress),
            on_done=lambda r: self._done_hop.emit(r, loaded, on_error),
        )

    def unload(self, model_id: str) -> JobHandle:
        """Drop a loaded model from the engine (a job)."""
        return self.submit_job(f"unload {model_id}", lambda ctx: ctx.remove_model(model_id))

    def capabilities(self, model_id: str) -> Capabilities:
        return self.engine.capabilities(model_id)

    # --- jobs --------------------------------------------------------------------------------
    def submit_job(
        self,
        name: str,
        fn: Callable[[EngineContext], Any],
        *,
        on_progress: ProgressFn | None = None,
        on_done: DoneFn | None = None,
        on_error: ErrorFn | None = None,
    ) -> JobHandle:
        """Run ``fn`` as an engine job. On the GUI thread: ``on_progress(JobProgress)`` for each step,
        then ``on_done(value)`` when it succeeds or ``on_error(JobResult)`` when it fails or is
        cancelled (``result.error`` / ``result.cancelled``). A failure nobody receives is logged."""
        return self.engine.submit_job(
            name,
            fn,
            on_progress=lambda p: self._progress_hop.emit(p, on_progress),
            on_done=lambda r: self._done_hop.emit(r, on_done, on_error),
        )

    @Slot(object, object)
    def _on_progress(self, progress: JobProgress, on_progress: ProgressFn | None) -> None:
        if on_progress is not None:
            on_progress(progress)

    @Slot(object, object, object)
    def _on_done(self, result: JobResult, on_done: DoneFn | None, on_error: ErrorFn | None) -> None:
        if result.ok:
            if on_done is not None:
                on_done(result.value)
        elif on_error is not None:
            on_error(result)
        elif result.error:
            log.warning("job %d failed: %s", result.job_id, result.error)
