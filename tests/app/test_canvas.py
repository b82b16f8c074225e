"""The canvas: frames prepared (converted and scaled) off the GUI thread, painted as a blit."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.canvas import Canvas, DisplayTarget, prepare_image

pytestmark = pytest.mark.qt


def _frame() -> np.ndarray:
    f = np.zeros((8, 16, 3), np.uint8)
    f[:, :8] = (255, 0, 0)
    f[:, 8:] = (0, 0, 255)
    return f


def test_prepare_scales_to_the_drawn_size_keeping_the_aspect() -> None:
    img = prepare_image(_frame(), DisplayTarget(300, 200, 1.0, smooth=False))
    assert (img.width(), img.height()) == (300, 150)
    assert img.pixelColor(10, 75).red() == 255 and img.pixelColor(290, 75).blue() == 255
    hi = prepare_image(_frame(), DisplayTarget(300, 200, 2.0, smooth=True))
    assert (hi.width(), hi.height(), hi.devicePixelRatio()) == (600, 300, 2.0)
    native = prepare_image(np.full((4, 6, 1), 200, np.uint8), None)  # no target: the frame's own size
    assert (native.width(), native.height()) == (6, 4) and native.pixelColor(0, 0).red() == 200
    with pytest.raises(ValueError):
        prepare_image(np.zeros((4, 4, 3), np.float32), None)


def test_prepare_runs_on_another_thread() -> None:
    out = []
    target = DisplayTarget(64, 64)
    t = threading.Thread(target=lambda: out.append(prepare_image(_frame(), target)))
    t.start()
    t.join()
    assert (out[0].width(), out[0].height()) == (64, 32)


def test_canvas_blits_and_rescales_once_after_a_resize(qtbot) -> None:
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(300, 200)
    canvas.show()
    qtbot.waitExposed(canvas)
    painted = []
    canvas.painted.connect(painted.append)
    frame = _frame()
    ready = canvas.display.prepare(frame)  # what the engine thread does
    canvas.set_frame(frame, key="k1", prepared=ready)
    grab = canvas.grab().toImage()  # grab() paints the widget (paintEvent) right away
    assert painted[-1] == "k1" and canvas.fallback_scales == 0
    assert grab.pixelColor(60, 100).red() == 255 and grab.pixelColor(240, 100).blue() == 255
    canvas.resize(400, 300)
    canvas.grab()
    canvas.grab()
    assert canvas.fallback_scales == 1  # prepared again for the new size once, then blitted
    assert (canvas._prepared.width(), canvas._prepared.height()) == (400, 200)
    canvas.set_frame(None)
    canvas.grab()
    assert canvas.image() is None and len(painted) == 3  # an empty canvas paints no frame
