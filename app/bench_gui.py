"""``latentlab bench gui``: the real main window, offscreen, timed from a control's move to the
painted canvas, optionally with competing busy processes on the machine.

Each timed frame moves one control the way a user would — a style-mix slider, then the seed, in
turn — and waits until the canvas has painted the frame of the new parameters (the canvas's
``painted`` signal carries the frame's request). The latency of a frame is that wait; frames/s is
the number of timed frames over the time they took together. ``load`` starts that many pure-Python
spin loops (one CPU each) before the warm-up and stops them at the end, whatever happens.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SPIN = (
    "import os, sys\nparent = int(sys.argv[1])\n"
    "while os.getppid() == parent:\n    for _ in range(200_000):\n        pass\n"
)
"""A busy process: spins on one CPU and ends by itself soon after its parent (``argv[1]``) is gone."""


class BenchError(RuntimeError):
    """The benchmark could not run (the model did not open, a frame never came)."""


@contextlib.contextmanager
def busy_processes(n: int) -> Iterator[list[subprocess.Popen]]:
    """Run ``n`` CPU-bound spin processes for the duration of the block; they are stopped when it
    ends, also on an exception or Ctrl-C (and end by themselves if this process is killed)."""
    if n < 0:
        raise ValueError(f"the load must be 0 or more processes, got {n}")
    procs: list[subprocess.Popen] = []
    try:
        for _ in range(n):
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-c", SPIN, str(os.getpid())],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        yield procs
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)


class _Waiter:
    """Runs the event loop until a condition holds, re-checked whenever :meth:`poke` is called
    (connected to the signals that can make it true), so the loop sleeps while nothing happens."""

    def __init__(self) -> None:
        self._loop: Any = None
        self._done: Callable[[], bool] = lambda: True

    def poke(self, *_args: object) -> None:
        if self._loop is not None and self._done():
            self._loop.quit()

    def wait(self, done: Callable[[], bool], timeout_s: float) -> bool:
        from PySide6.QtCore import QEventLoop, QTimer

        if done():
            return True
        self._done, self._loop = done, QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(self._loop.quit)
        timer.start(max(1, round(timeout_s * 1000)))
        try:
            self._loop.exec()
        finally:
            timer.stop()
            self._loop = None
        return done()


def run_gui_bench(
    model: str | None = None,
    frames: int = 60,
    warmup: int = 5,
    load: int = 0,
    threads: int | None = None,
    device: str | None = None,
    timeout_s: float = 60.0,
    size: tuple[int, int] = (1360, 860),
) -> dict[str, Any]:
    """Time ``frames`` control moves in the real main window to their painted frames (after
    ``warmup`` untimed ones) with ``load`` busy processes running; returns the figures."""
    if frames < 1:
        raise ValueError(f"--frames must be at least 1, got {frames}")
    if warmup < 0:
        raise ValueError(f"--warmup must be 0 or more, got {warmup}")
    if load < 0:
        raise ValueError(f"--load must be 0 or more, got {load}")
    if threads is not None and threads < 1:
        raise ValueError(f"--threads must be at least 1, got {threads}")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from app.__main__ import make_engine
    from app.engine_client import EngineClient
    from app.main_window import MainWindow
    from app.settings import Settings
    from engine import zoo
    from engine.threads import wait_policy

    QApplication.instance() or QApplication([sys.argv[0]])
    source = model
    if source is None:
        entry = zoo.default_model()
        if entry is None:
            raise BenchError("no bundled model to open: name a checkpoint")
        source = entry.name
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="latentlab-bench-"))
        store = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)  # never the user's settings
        engine = make_engine(device, threads=threads).start()
        stack.callback(engine.shutdown)
        window = MainWindow(EngineClient(engine), Settings(store))
        stack.callback(window.deleteLater)
        stack.callback(window.close)
        window.resize(*size)
        window.show()
        waiter = _Waiter()
        errors: list[str] = []
        painted: list[tuple[object, float]] = []

        def on_error(title: str, text: str) -> None:
            errors.append(f"{title}: {text}")
            waiter.poke()

        def on_painted(key: object) -> None:
            painted.append((key, time.perf_counter()))
            waiter.poke()

        window.session.error_raised.connect(on_error)
        window.canvas.painted.connect(on_painted)
        window.session.model_changed.connect(waiter.poke)
        window.open_model(source)
        if not waiter.wait(lambda: window.session.caps is not None or bool(errors), timeout_s):
            raise BenchError(f"{source} did not open within {timeout_s:g} s")
        if errors:
            raise BenchError(errors[0].replace("\n", " "))
        caps = window.session.caps
        if caps is None or not caps.renders_latent:
            raise BenchError(f"{source} does not render from a latent: nothing to time")
        if not waiter.wait(lambda: bool(painted) or bool(errors), timeout_s):
            raise BenchError(f"no frame of {source} within {timeout_s:g} s")
        if errors:
            raise BenchError(errors[0].replace("\n", " "))
        sliders = window.styles_panel.sliders if window.styles_panel.applies_to(caps) else []
        seed = window.latent_panel.seed

        def move(i: int) -> None:
            """Step ``i``: a style slider (when the model has them) on even steps, else the seed."""
            if sliders and i % 2 == 0:
                s = sliders[(i // 2) % len(sliders)]
                s.setValue(s.maximum() if s.value() < s.maximum() // 2 else s.minimum())
            else:
                seed.setValue(seed.value() + 1 if seed.value() < seed.maximum() else 0)

        def frame(i: int) -> float:
            painted.clear()
            t0 = time.perf_counter()  # the move itself (the GUI's work for it) is part of the latency
            move(i)
            want = window.frames.shown_request()
            if not waiter.wait(lambda: any(key == want for key, _ in painted) or bool(errors), timeout_s):
                raise BenchError(f"the frame of step {i} was not painted within {timeout_s:g} s")
            if errors:
                raise BenchError(errors[0].replace("\n", " "))
            t1 = next(t for key, t in painted if key == want)
            return (t1 - t0) * 1000.0

        stack.enter_context(busy_processes(load))
        for i in range(warmup):
            frame(i)
        lat = []
        start, start_cpu = time.perf_counter(), time.thread_time()
        for i in range(warmup, warmup + frames):
            lat.append(frame(i))
        elapsed, gui_cpu = time.perf_counter() - start, time.thread_time() - start_cpu
        threads_used = engine.call(lambda ctx: __import__("torch").get_num_threads(), timeout=timeout_s)
        name = window.session.model.name if window.session.model else str(source)
        fallback_scales = window.canvas.fallback_scales
    a = np.asarray(lat)
    return {
        "benchmark": "gui",
        "model": name,
        "family": caps.family,
        "resolution": caps.resolution,
        "device": str(engine.device),
        "threads": int(threads_used),
        "thread_policy": engine.thread_policy(),
        "wait_policy": wait_policy(),
        "load": load,
        "frames": frames,
        "warmup": warmup,
        "median_ms": round(float(np.median(a)), 3),
        "p95_ms": round(float(np.percentile(a, 95)), 3),
        "mean_ms": round(float(a.mean()), 3),
        "max_ms": round(float(a.max()), 3),
        "fps": round(frames / elapsed, 2),
        "gui_cpu_ms_per_frame": round(gui_cpu * 1000.0 / frames, 3),
        "gui_scaled_frames": fallback_scales,
    }
