"""The frame loop in the real window: frames prepared for display off the GUI thread, side frames
that are the main frame not rendered twice, and the status bar's rolling timing and resolution."""

from __future__ import annotations

import threading

import pytest

from app.frame_stats import MIN_FRAMES_FOR_RATE, FrameStats
from tests.app.conftest import WAIT_MS

pytestmark = pytest.mark.qt


def _next_seed(window, wait_current):
    window.latent_panel.seed.setValue(window.latent_panel.seed.value() + 1)
    return wait_current()


def test_main_frames_are_prepared_on_the_engine_thread(window, wait_current, qtbot) -> None:
    display = window.canvas.display
    threads: list[str] = []
    original = display.prepare

    def prepare(frame):
        threads.append(threading.current_thread().name)
        return original(frame)

    display.prepare = prepare  # an instance attribute: the frame loop calls it through the display
    wait_current()
    painted = []
    window.canvas.painted.connect(painted.append)
    before = window.canvas.fallback_scales
    result = _next_seed(window, wait_current)
    qtbot.waitUntil(lambda: result.request in painted, timeout=WAIT_MS)
    assert threads and set(threads) == {"latentlab-engine"}
    assert window.canvas.fallback_scales == before  # the GUI thread only blitted it
    rect = window.canvas.target_rect()
    img = window.canvas._prepared
    assert (img.width(), img.height()) == (round(rect.width()), round(rect.height()))
    # What is on screen is exactly the frame scaled for the canvas.
    from app.canvas import prepare_image

    expected = prepare_image(result.image, window.canvas.display.target)
    grab = window.canvas.grab().toImage()
    x0, y0 = round(rect.x()), round(rect.y())
    for fx, fy in ((0.5, 0.5), (0.1, 0.2), (0.9, 0.7)):
        x, y = int(fx * expected.width()), int(fy * expected.height())
        assert grab.pixelColor(x0 + x, y0 + y) == expected.pixelColor(x, y)


def test_a_thumbnail_equal_to_the_main_frame_is_not_rendered_twice(window, wait_current, qtbot) -> None:
    wait_current()
    served: list[str] = []
    engine = window.client.engine
    submit = engine.submit
    engine.submit = lambda channel, req, cb=None, priority=0, interruptible=False: (
        served.append(channel),
        submit(channel, req, cb, priority, interruptible),
    )[1]
    try:
        result = _next_seed(window, wait_current)
    finally:
        engine.submit = submit
    thumb = window.arithmetic_panel.thumbs[0]
    qtbot.waitUntil(lambda: thumb.frame is result.image, timeout=WAIT_MS)  # A is the current latent
    assert "main" in served and "arith-a" not in served, served


def test_status_bar_shows_rolling_figures_then_clears(window, wait_current) -> None:
    status = window.status
    wait_current()
    # The first frame of a model is its warm-up: no time, and one frame is no rate.
    assert status.ms_label.text() == "" and status.fps_label.text() == ""
    assert status.resolution_label.text() == "16×16"
    window.frames.stats = FrameStats(window_s=600.0)  # a slow shared machine still counts as "recent"
    _next_seed(window, wait_current)
    assert status.ms_label.text().endswith(" ms") and status.fps_label.text() == ""
    for _ in range(MIN_FRAMES_FOR_RATE):
        _next_seed(window, wait_current)
    assert status.fps_label.text().endswith(" frames/s")
    assert float(status.fps_label.text().split()[0]) < 1000
    window.frames.stats.window_s = 0.001  # nothing rendered for longer than the window
    window.frames._on_idle()
    assert status.ms_label.text() == "" and status.fps_label.text() == ""
    assert status.resolution_label.text() == "16×16"


def test_status_bar_names_the_progressive_level_shown(window, wait_current, qtbot, tmp_path) -> None:
    from tests.app.test_progressive_panel import make_tiny_pggan

    window.open_model(str(make_tiny_pggan(tmp_path / "pg.safetensors")))
    qtbot.waitUntil(lambda: window.session.model.name == "pg", timeout=WAIT_MS)
    wait_current()
    assert window.status.resolution_label.text() == "16×16"
    window.progressive_panel.level.setCurrentIndex(1)
    shown = wait_current()
    assert shown.image.shape == (16, 16, 3)  # level 8×8, shown up-sampled
    assert window.status.resolution_label.text() == "8×8 of 16×16"


def test_status_bar_is_blank_on_a_translation_model(window, wait_current, qtbot, tmp_path) -> None:
    import torch

    from engine.checkpoints.native import save_native
    from engine.families import get_family

    window.frames.stats = FrameStats(window_s=600.0)
    for _ in range(3):
        _next_seed(window, wait_current)
    assert window.status.ms_label.text() != ""
    torch.manual_seed(1)
    fam = get_family("cyclegan")
    path = save_native(fam.new(fam.tiny_config()), tmp_path / "cyc.safetensors")
    window.open_model(str(path))
    qtbot.waitUntil(lambda: window.session.model.name == "cyc", timeout=WAIT_MS)
    assert window.status.ms_label.text() == "" and window.status.fps_label.text() == ""


def test_thumbnails_wait_until_the_parameters_stand_still(window, wait_current, qtbot) -> None:
    wait_current()
    served: list[str] = []
    engine = window.client.engine
    submit = engine.submit
    engine.submit = lambda channel, req, cb=None, priority=0, interruptible=False: (
        served.append(channel),
        submit(channel, req, cb, priority, interruptible),
    )[1]
    try:
        slider = window.styles_panel.sliders[0]
        for v in (10, 20, 30, 40, 50):  # a drag: B and C (shown with the current style mix) change each time
            slider.setValue(v)
        assert served.count("main") == 5 and "arith-b" not in served
        qtbot.waitUntil(lambda: "arith-b" in served and "arith-c" in served, timeout=WAIT_MS)
        assert served.count("arith-b") == 1 and served.count("arith-c") == 1
    finally:
        engine.submit = submit
    assert window.frames._side_sent["arith-b"].mix.weights[0] == window.session.params.mix.weights[0]
