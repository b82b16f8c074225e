"""The engine thread: latest-wins mailbox, cancellable jobs, errors as values, clean shutdown."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from engine.api import RenderRequest
from engine.render import render
from engine.runtime import Engine


@pytest.fixture
def engine(tiny_stylegan2_path):
    e = Engine(device="cpu").start()
    e.load_sync(tiny_stylegan2_path, "tiny", timeout=60)
    yield e
    e.shutdown()
    assert not e.alive


def _wait(pred, timeout=30.0):
    t0 = time.monotonic()
    while not pred():
        if time.monotonic() - t0 > timeout:
            raise AssertionError("timed out")
        time.sleep(0.005)


def test_storm_coalesces_to_latest(engine):
    results = []
    block = threading.Event()

    # Hold the engine busy with a job so the burst piles up in the mailbox.
    def busy(ctx):
        yield (0, 1, "waiting")
        block.wait(10)

    engine.submit_job("hold", busy)
    _wait(lambda: engine.busy or engine._active is not None)
    for i in range(200):
        engine.submit("main", RenderRequest("tiny", seed=i), results.append)
    assert engine.pending("main") <= 1
    block.set()
    _wait(lambda: results and results[-1].request.latent.seed == 199)
    time.sleep(0.1)
    assert len(results) <= 2  # at most the one in flight before the burst plus the latest
    last = results[-1]
    assert last.ok and last.generation == 200
    # The frame is exactly what a fresh render of the last request gives.
    expected = engine.call(lambda ctx: render(ctx.model("tiny"), RenderRequest("tiny", seed=199)))
    np.testing.assert_array_equal(last.image, expected)


def test_cancel_ends_job_within_one_step(engine):
    steps = []
    started = threading.Event()

    def long_job(ctx):
        for i in range(10_000):
            steps.append(i)
            started.set()
            time.sleep(0.002)
            yield (i, 10_000, "working")
        return "finished"

    h = engine.submit_job("long", long_job)
    assert started.wait(10)
    h.cancel()
    n_at_cancel = len(steps)
    res = h.wait(10)
    assert res is not None and res.cancelled and not res.ok
    assert len(steps) <= n_at_cancel + 1


def test_cancel_stops_a_job_inside_a_long_step(engine):
    """A step that renders for long (a 1024 px frame on a CPU) stops at its next interrupt.check."""
    from engine import interrupt

    started = threading.Event()
    checks = []

    def one_long_step(ctx):
        yield (1, 2, "first step")
        started.set()
        for i in range(100_000):  # "layers" of a slow render
            checks.append(i)
            interrupt.check()
            time.sleep(0.001)
        yield (2, 2, "second step")
        return "finished"

    h = engine.submit_job("long step", one_long_step)
    assert started.wait(10)
    h.cancel()
    res = h.wait(10)
    assert res is not None and res.cancelled and res.value is None
    assert len(checks) < 100_000
    # Outside a job check() does nothing, and the thread still serves.
    interrupt.check()
    assert engine.submit_job("after", lambda ctx: 7).wait(10).value == 7


def test_request_that_raises_leaves_thread_serving(engine):
    results = []
    bad = RenderRequest("tiny", seed=1, psi=0.5, style_mix=(0.5,), mix_seed=3)  # wrong number of weights
    engine.submit("main", bad, results.append)
    _wait(lambda: len(results) == 1)
    assert results[0].error and "style_mix" in results[0].error
    engine.submit("main", RenderRequest("missing-model"), results.append)
    _wait(lambda: len(results) == 2)
    assert "missing-model" in results[1].error

    def boom(ctx):
        raise RuntimeError("job exploded")

    res = engine.submit_job("boom", boom).wait(10)
    assert res.error and "job exploded" in res.error
    engine.submit("main", RenderRequest("tiny", seed=2), results.append)
    _wait(lambda: len(results) == 3)
    assert results[2].ok and results[2].image.shape == (16, 16, 3)
    assert engine.alive


def test_interactive_served_between_job_steps(engine):
    results = []
    stop = threading.Event()

    def slow(ctx):
        while not stop.is_set():
            time.sleep(0.01)
            yield (0, 0, "tick")

    h = engine.submit_job("slow", slow)
    engine.submit("main", RenderRequest("tiny", seed=5), results.append)
    _wait(lambda: len(results) == 1)
    stop.set()
    h.wait(10)
    assert results[0].ok


def test_load_failure_is_a_value(engine, tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    res = engine.load(bad).wait(30)
    assert res.error and "bad.safetensors" in res.error
    assert engine.alive


def test_shutdown_cancels_waiting_jobs(tiny_stylegan2_path):
    e = Engine(device="cpu").start()
    gate = threading.Event()

    def hold(ctx):
        yield (0, 1, "")
        gate.wait(5)
        yield (1, 1, "")

    h1 = e.submit_job("hold", hold)
    h2 = e.submit_job("later", lambda ctx: 1)
    gate.set()
    e.shutdown()
    assert not e.alive
    assert h2.wait(1) is not None
    assert h1.wait(1) is not None


def _block_first_layer(engine):
    """Hold the engine thread inside the next frame (after its first synthesis layer) until released."""
    entered, release = threading.Event(), threading.Event()
    layer = engine.call(lambda ctx: ctx.model("tiny").module.synthesis.layers[0])

    def hook(_module, _inputs, _output):
        if not entered.is_set():
            entered.set()
            release.wait(10)

    handle = layer.register_forward_hook(hook)
    return entered, release, handle


def test_interruptible_frame_is_abandoned_for_a_newer_one(engine):
    results = []
    entered, release, handle = _block_first_layer(engine)
    try:
        engine.submit("main", RenderRequest("tiny", seed=1), results.append, interruptible=True)
        assert entered.wait(10)
        engine.submit("main", RenderRequest("tiny", seed=2), results.append)
        release.set()
        _wait(lambda: len(results) >= 1)
        time.sleep(0.1)
    finally:
        handle.remove()
    assert [r.request.latent.seed for r in results] == [2]  # the first never came back
    assert results[0].ok


def test_other_frames_finish_when_a_newer_one_arrives(engine):
    results = []
    entered, release, handle = _block_first_layer(engine)
    try:
        engine.submit("main", RenderRequest("tiny", seed=1), results.append)
        assert entered.wait(10)
        engine.submit("main", RenderRequest("tiny", seed=2), results.append)
        engine.submit("side", RenderRequest("tiny", seed=3), results.append, interruptible=True)
        release.set()
        _wait(lambda: len(results) >= 3)
    finally:
        handle.remove()
    assert sorted(r.request.latent.seed for r in results) == [1, 2, 3]


def test_preview_request_renders_the_low_resolution_image(engine):
    caps = engine.capabilities("tiny")
    assert caps.preview_resolutions and caps.resolution not in caps.preview_resolutions
    r = caps.preview_resolutions[0]
    out = []
    engine.submit("main", RenderRequest("tiny", seed=1, preview=r), out.append)
    engine.submit("other", RenderRequest("tiny", seed=1, preview=caps.resolution), out.append)
    _wait(lambda: len(out) == 2)
    by_ch = {o.request.view.preview: o for o in out}
    assert by_ch[r].ok and by_ch[r].image.shape[:2] == (r, r)
    assert not by_ch[caps.resolution].ok and "preview" in by_ch[caps.resolution].error


def test_interruptible_side_frame_gives_way_to_the_main_channel(engine):
    results = []
    entered, release, handle = _block_first_layer(engine)
    try:
        engine.submit("thumb", RenderRequest("tiny", seed=1), results.append, priority=0, interruptible=True)
        assert entered.wait(10)
        engine.submit("main", RenderRequest("tiny", seed=2), results.append, priority=1)
        release.set()
        _wait(lambda: len(results) >= 1)
        time.sleep(0.1)
    finally:
        handle.remove()
    assert [r.request.latent.seed for r in results] == [2]
