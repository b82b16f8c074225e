"""The engine thread: owns the device and the loaded models; serves interactive requests and jobs.

- Interactive requests go into a per-channel mailbox: a new request replaces the waiting one
  (latest wins) and carries a generation stamp; results of one channel come back in submission
  order, so front ends only drop results older than a point they choose (see app.engine_client).
  Of the waiting requests the one with the highest priority goes first (the canvas before
  thumbnails), the longest-waiting channel among equals. A frame submitted as ``interruptible`` is
  abandoned, without a result, when a newer request arrives on its channel or on a channel of higher
  priority (models check :mod:`engine.interrupt` between layers), so a slow full frame or thumbnail
  never holds up the next frame; other frames always finish (a drag never starves them).
- Jobs are generators that yield progress; the loop alternates between waiting interactive requests
  and job steps (so a job keeps moving while a slider is dragged), and checks the job's cancel flag
  between steps and, through :mod:`engine.interrupt`, between the layers of a render inside a step.
- Errors are values (``RenderResult.error``, ``JobResult.error``), logged with their traceback;
  the thread never dies of them.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import logging
import os
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from engine import interrupt
from engine.api import (
    DoneCallback,
    EngineError,
    JobHandle,
    JobProgress,
    JobResult,
    ProgressCallback,
    RenderRequest,
    RenderResult,
    ResultCallback,
)
from engine.device import choose_device, configure_cpu_threads, policy_for
from engine.families import Capabilities, LoadedModel
from engine.nn.fused import compute_dtype
from engine.render import LRUCache, render_frame_checked
from engine.threads import THREADS_ENV, ThreadTuner, default_threads, thread_candidates

log = logging.getLogger(__name__)

JobFn = Callable[["EngineContext"], Any]


@dataclass
class _Job:
    handle: JobHandle
    fn: JobFn
    on_progress: ProgressCallback | None
    on_done: DoneCallback | None
    steps: Iterator[Any] | None = None
    done_steps: int = 0


class EngineContext:
    """What a job step may touch: the device and the loaded models (engine thread only)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def device(self) -> torch.device:
        return self._engine.device

    def model(self, model_id: str) -> LoadedModel:
        try:
            return self._engine._models[model_id]
        except KeyError:
            raise EngineError(f"no model '{model_id}' is loaded") from None

    def add_model(self, model_id: str, model: LoadedModel) -> None:
        self._engine._install(model_id, model)

    def remove_model(self, model_id: str) -> None:
        self._engine._uninstall(model_id)


CPU_DTYPES = ("fp32", "bf16")


def cpu_compute_dtype(name: str | None = None) -> torch.dtype | None:
    """The dtype frames render in on the CPU: None (float32) for "fp32"; bfloat16 for "bf16" when the
    CPU computes it natively (oneDNN's bf16 path: AVX512-BF16 or AMX), else None with a warning. The
    name defaults to ``$LATENTLAB_CPU_DTYPE`` (else fp32). bf16 frames differ from fp32 by a few
    8-bit levels (``latentlab bench render --dtype bf16`` prints the difference)."""
    name = (name or os.environ.get("LATENTLAB_CPU_DTYPE") or "fp32").strip().lower()
    if name not in CPU_DTYPES:
        raise EngineError(f"unknown CPU dtype '{name}' (choose one of {', '.join(CPU_DTYPES)})")
    if name == "fp32":
        return None
    if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        log.warning("this CPU has no native bfloat16: rendering in float32")
        return None
    return torch.bfloat16


def _describe(e: BaseException) -> str:
    msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return msg if isinstance(e, EngineError | ValueError) else f"{type(e).__name__}: {msg}"


class Engine:
    """One thread that owns the torch device and every loaded model."""

    def __init__(
        self, device: str | None = None, half: bool = True, threads: int | None = None, cpu_dtype: str | None = None
    ) -> None:
        """An engine on ``device`` (default: the best available); on the CPU it uses ``threads``
        intra-op threads (default: :func:`engine.threads.default_threads`, waiting passively: see
        :mod:`engine.threads` for the policy and the measurements behind it) and renders frames in
        ``cpu_dtype`` ("fp32", or "bf16" on CPUs with native bfloat16 dot products; default
        ``$LATENTLAB_CPU_DTYPE`` or fp32): see :func:`cpu_compute_dtype`."""
        self.device = choose_device(device)
        self.policy = policy_for(self.device, half=half)
        self.compute_dtype = cpu_compute_dtype(cpu_dtype) if self.device.type == "cpu" else None
        self._cv = threading.Condition()
        self._mail: dict[str, tuple[int, RenderRequest, ResultCallback | None]] = {}
        self.threads = max(1, int(threads)) if threads is not None else default_threads()
        """The most intra-op threads of the engine thread (it sets them itself: the count is per thread)."""
        self.adaptive = self.device.type == "cpu" and threads is None and not os.environ.get(THREADS_ENV, "").strip()
        """Whether interactive renders choose their thread count from measured times (see ThreadTuner)."""
        self._tuners: dict[str, ThreadTuner] = {}
        self._priority: dict[str, int] = {}  # of each waiting channel
        self._interruptible: dict[str, bool] = {}
        self._generation: dict[str, int] = {}
        self._jobs: deque[_Job] = deque()
        self._active: _Job | None = None
        self._stop = False
        self._models: dict[str, LoadedModel] = {}
        self._caps: dict[str, Capabilities] = {}
        self._meta: dict[str, dict[str, Any]] = {}
        self._caches: dict[str, LRUCache] = {}
        self._ids = itertools.count(1)
        self._ctx = EngineContext(self)
        self._thread = threading.Thread(target=self._loop, name="latentlab-engine", daemon=True)
        self.busy = False

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> Engine:
        if not self._thread.is_alive():
            self._thread.start()
        return self

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel jobs, drop waiting requests and join the thread."""
        with self._cv:
            self._stop = True
            for job in list(self._jobs) + ([self._active] if self._active else []):
                job.handle.cancel()
            self._mail.clear()
            self._cv.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def __enter__(self) -> Engine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # --- interactive requests ---------------------------------------------------------------
    def submit(
        self,
        channel: str,
        request: RenderRequest,
        on_result: ResultCallback | None = None,
        priority: int = 0,
        interruptible: bool = False,
    ) -> int:
        """Put ``request`` in ``channel``'s mailbox (replacing a waiting one); returns its generation.
        Waiting channels are served highest ``priority`` first (then in order of arrival). An
        ``interruptible`` frame is abandoned while it renders (its callback is not called) as soon as
        a newer request arrives on ``channel`` or any request on a channel of higher ``priority``."""
        with self._cv:
            gen = self._generation.get(channel, 0) + 1
            self._generation[channel] = gen
            self._mail[channel] = (gen, request, on_result)
            self._priority[channel] = int(priority)
            self._interruptible[channel] = bool(interruptible)
            self._cv.notify_all()
        return gen

    def pending(self, channel: str | None = None) -> int:
        """Waiting interactive requests (in ``channel``, or in all channels)."""
        with self._cv:
            if channel is None:
                return len(self._mail)
            return 1 if channel in self._mail else 0

    def generation(self, channel: str) -> int:
        """The stamp of the newest request submitted on ``channel`` (0 before any)."""
        with self._cv:
            return self._generation.get(channel, 0)

    def channels(self) -> list[str]:
        """Every channel a request was ever submitted on."""
        with self._cv:
            return list(self._generation)

    # --- jobs ---------------------------------------------------------------------------------
    def submit_job(
        self,
        name: str,
        fn: JobFn,
        on_progress: ProgressCallback | None = None,
        on_done: DoneCallback | None = None,
    ) -> JobHandle:
        """Run ``fn(ctx)`` on the engine thread. A generator function yields progress
        (``(done, total, message)`` tuples or :class:`JobProgress`) once per step and returns its value."""
        handle = JobHandle(next(self._ids), name)
        with self._cv:
            if self._stop:
                handle.result = JobResult(handle.job_id, error="engine is shut down")
                handle._done.set()
                return handle
            self._jobs.append(_Job(handle, fn, on_progress, on_done))
            self._cv.notify_all()
        return handle

    def call(self, fn: Callable[[EngineContext], Any], timeout: float | None = None) -> Any:
        """Run ``fn(ctx)`` on the engine thread and return its value (raises EngineError on failure)."""
        h = self.submit_job(getattr(fn, "__name__", "call"), fn)
        res = h.wait(timeout)
        if res is None:
            h.cancel()
            raise EngineError(f"engine call timed out after {timeout} s")
        if res.error:
            raise EngineError(res.error)
        if res.cancelled:
            raise EngineError("cancelled")
        return res.value

    # --- models --------------------------------------------------------------------------------
    def load(
        self,
        name_or_path: str | Path | None,
        model_id: str | None = None,
        on_progress: ProgressCallback | None = None,
        on_done: DoneCallback | None = None,
    ) -> JobHandle:
        """Load a bundled model or checkpoint file as a job; its value is ``(model_id, capabilities, meta)``."""

        def job(ctx: EngineContext) -> Generator[tuple[int, int, str], None, tuple[str, Capabilities, dict]]:
            from engine.checkpoints.loader import load_model

            yield (0, 2, f"reading {name_or_path or 'default model'}")
            model = load_model(name_or_path, "cpu")
            yield (1, 2, "moving to device")
            model.to(ctx.device)
            mid = model_id or str(model.meta.get("name") or Path(str(name_or_path)).stem)
            ctx.add_model(mid, model)
            return mid, model.capabilities, dict(model.meta)

        return self.submit_job(f"load {name_or_path}", job, on_progress, on_done)

    def load_sync(self, name_or_path: str | Path | None, model_id: str | None = None, timeout: float | None = None):
        """Blocking :meth:`load`; returns ``(model_id, capabilities, meta)`` or raises EngineError."""
        res = self.load(name_or_path, model_id).wait(timeout)
        if res is None or res.error:
            raise EngineError(res.error if res else "load timed out")
        return res.value

    def capabilities(self, model_id: str) -> Capabilities:
        with self._cv:
            if model_id not in self._caps:
                raise EngineError(f"no model '{model_id}' is loaded")
            return self._caps[model_id]

    def model_meta(self, model_id: str) -> dict[str, Any]:
        with self._cv:
            return dict(self._meta.get(model_id, {}))

    def model_ids(self) -> list[str]:
        with self._cv:
            return list(self._caps)

    def unload(self, model_id: str) -> JobHandle:
        return self.submit_job(f"unload {model_id}", lambda ctx: ctx.remove_model(model_id))

    def _install(self, model_id: str, model: LoadedModel) -> None:
        self._models[model_id] = model
        self._caches[model_id] = LRUCache()
        with self._cv:
            self._caps[model_id] = model.capabilities
            self._meta[model_id] = dict(model.meta)

    def _uninstall(self, model_id: str) -> None:
        self._models.pop(model_id, None)
        self._tuners.pop(model_id, None)
        self._caches.pop(model_id, None)
        with self._cv:
            self._caps.pop(model_id, None)
            self._meta.pop(model_id, None)

    # --- the loop --------------------------------------------------------------------------------
    def _loop(self) -> None:
        if self.device.type == "cpu":
            configure_cpu_threads(self.threads)
        served_request = False
        with torch.inference_mode():
            while True:
                with self._cv:
                    while not self._stop and not self._mail and not self._jobs and self._active is None:
                        self._cv.wait()
                    if self._stop:
                        break
                    item = None
                    job_waiting = self._active is not None or bool(self._jobs)
                    if self._mail and not (served_request and job_waiting):
                        channel = max(self._mail, key=lambda ch: self._priority.get(ch, 0))  # first of equals
                        item = (channel, self._interruptible.get(channel, False), *self._mail.pop(channel))
                    elif self._active is None and self._jobs:
                        self._active = self._jobs.popleft()
                    served_request = item is not None
                    self.busy = True
                try:
                    if item is not None:
                        self._serve(*item)
                    elif self._active is not None:
                        self._step_job(self._active)
                finally:
                    self.busy = False
            # Drain: jobs that never ran end as cancelled so waiters wake up.
            with self._cv:
                jobs = list(self._jobs) + ([self._active] if self._active else [])
                self._jobs.clear()
                self._active = None
            for job in jobs:
                self._finish(job, JobResult(job.handle.job_id, cancelled=True))

    def thread_policy(self) -> str:
        """The CPU thread policy in words (benchmarks report it)."""
        if self.device.type != "cpu":
            return f"{self.device.type} device"
        if not self.adaptive:
            return f"fixed {self.threads}"
        return "adaptive " + "/".join(str(c) for c in thread_candidates(self.threads))

    def _tuned_threads(self, model_id: str) -> ThreadTuner | None:
        """The thread tuner of ``model_id``'s renders, with its count applied (None when fixed)."""
        if not self.adaptive:
            return None
        tuner = self._tuners.get(model_id)
        if tuner is None:
            tuner = self._tuners[model_id] = ThreadTuner(thread_candidates(self.threads))
        if torch.get_num_threads() != tuner.current:
            torch.set_num_threads(tuner.current)
        return tuner

    def _serve(
        self, channel: str, interruptible: bool, gen: int, req: RenderRequest, cb: ResultCallback | None
    ) -> None:
        tuner = self._tuned_threads(req.model_id) if req.model_id in self._models else None
        threads = tuner.current if tuner is not None else 0
        t0 = time.perf_counter()
        try:
            model = self._ctx.model(req.model_id)
            autocast = (
                torch.autocast(self.device.type, dtype=self.policy.dtype)
                if self.policy.autocast
                else contextlib.nullcontext()
            )
            prio = self._priority.get(channel, 0)
            superseded = (
                (lambda: channel in self._mail or any(self._priority.get(c, 0) > prio for c in list(self._mail)))
                if interruptible
                else (lambda: False)
            )
            with autocast, interrupt.checking(superseded), compute_dtype(self.compute_dtype):
                image, features, finite = render_frame_checked(model, req, self._caches.get(req.model_id))
            ms = (time.perf_counter() - t0) * 1000
            result = RenderResult(req, gen, image=image, features=features, render_ms=ms, finite=finite)
            if tuner is not None:
                tuner.record(threads, ms)
        except interrupt.Interrupted:
            log.debug("frame %d on %s superseded after %.0f ms", gen, channel, (time.perf_counter() - t0) * 1000)
            return
        except Exception as e:  # errors are values
            log.error("render failed for %s:\n%s", req, traceback.format_exc())
            result = RenderResult(req, gen, error=_describe(e), render_ms=(time.perf_counter() - t0) * 1000)
        if cb is not None:
            try:
                cb(result)
            except Exception:
                log.exception("result callback raised")

    def _step_job(self, job: _Job) -> None:
        h = job.handle
        if h.cancelled:
            self._finish(job, JobResult(h.job_id, cancelled=True))
            return
        try:
            with interrupt.checking(lambda: h.cancelled):  # Cancel stops a long render between layers
                if job.steps is None:
                    out = job.fn(self._ctx)
                    if inspect.isgenerator(out):
                        job.steps = out
                    else:
                        self._finish(job, JobResult(h.job_id, value=out))
                        return
                progress = next(job.steps)
        except StopIteration as stop:
            self._finish(job, JobResult(h.job_id, value=stop.value))
            return
        except interrupt.Interrupted:
            self._finish(job, JobResult(h.job_id, cancelled=True))
            return
        except Exception as e:
            log.error("job '%s' failed:\n%s", h.name, traceback.format_exc())
            self._finish(job, JobResult(h.job_id, error=_describe(e)))
            return
        job.done_steps += 1
        if job.on_progress is not None:
            if not isinstance(progress, JobProgress):
                if isinstance(progress, tuple):
                    done, total, msg = (tuple(progress) + ("",))[:3]
                else:
                    done, total, msg = job.done_steps, 0, ""
                progress = JobProgress(h.job_id, int(done), int(total), str(msg))
            try:
                job.on_progress(progress)
            except Exception:
                log.exception("progress callback raised")

    def _finish(self, job: _Job, result: JobResult) -> None:
        if job.steps is not None and result.cancelled:
            with contextlib.suppress(Exception):
                job.steps.close()
        job.handle.result = result
        with self._cv:
            if self._active is job:
                self._active = None
        job.handle._done.set()
        if job.on_done is not None:
            try:
                job.on_done(result)
            except Exception:
                log.exception("done callback raised")
