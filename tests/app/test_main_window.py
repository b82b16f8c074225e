"""The real main window on tiny models: frames, sliders, drops, errors, undo, panels from capabilities."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from engine.families.base import Capabilities
from tests.app.conftest import WAIT_MS

pytestmark = pytest.mark.qt


def drop_files(widget, paths) -> None:
    """Send a real drag-enter + drop of local files to ``widget``."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(widget.width() / 2, widget.height() / 2)
    action, button, mods = Qt.DropAction.CopyAction, Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos.toPoint(), action, mime, button, mods)  # QPoint here, QPointF for the drop
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(widget, QDropEvent(pos, action, mime, button, mods))


def test_window_opens_on_model_and_shows_frame(window, wait_current) -> None:
    result = wait_current()
    assert result.ok and result.image.shape == (16, 16, 3)
    assert window.canvas.frame is result.image
    img = window.canvas.image()
    assert (img.width(), img.height()) == (16, 16)
    assert window.status.model_label.text() == "m16"
    assert window.status.resolution_label.text() == "16×16"
    assert "ms" in window.status.ms_label.text() and "frames/s" in window.status.fps_label.text()
    # What is painted in the canvas centre is the frame's centre pixel, not the background.
    grab = window.canvas.grab().toImage()
    c = grab.pixelColor(grab.width() // 2, grab.height() // 2)
    r = window.canvas.target_rect()
    assert r.width() > 16 and r.height() > 16
    assert (c.red(), c.green(), c.blue()) != (32, 33, 36)


def test_style_slider_changes_frame(window, wait_current) -> None:
    before = wait_current().image.copy()
    window.styles_panel.mix_seed.setValue(7)
    slider = window.styles_panel.sliders[0]
    slider.setValue(slider.maximum())
    assert window.session.params.mix.weights[0] == 1.0 and window.session.params.mix.seed == 7
    after = wait_current()
    assert after.request.mix.weights[0] == 1.0 and after.request.mix.seed == 7
    assert not np.array_equal(before, after.image)


def test_dropping_checkpoint_switches_model(window, wait_current, model_files, qtbot) -> None:
    wait_current()
    drop_files(window, [model_files["m32"]])
    qtbot.waitUntil(
        lambda: (
            window.session.model.name == "m32"
            and window.session.last_frame is not None
            and window.session.last_frame.image.shape == (32, 32, 3)
        ),
        timeout=WAIT_MS,
    )
    assert window.status.model_label.text() == "m32"
    assert window.status.resolution_label.text() == "32×32"
    assert window.settings.recent()[0].endswith("m32.safetensors")
    assert window.last_error is None


def test_dropping_text_file_shows_error_and_keeps_rendering(window, wait_current, qtbot, tmp_path) -> None:
    wait_current()
    note = tmp_path / "notes.txt"
    note.write_text("not a model")
    drop_files(window, [note])
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=WAIT_MS)
    box = window.last_error
    assert "notes.txt" in box.text() and "not a model checkpoint" in box.text()
    box.close()
    assert window.session.model.name == "m16"
    window.latent_panel.seed.setValue(3)
    assert wait_current().request.latent.seed == 3


def test_corrupt_checkpoint_shows_error_and_keeps_rendering(window, wait_current, qtbot, tmp_path) -> None:
    wait_current()
    bad = tmp_path / "x.safetensors"
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    window.open_model(str(bad))
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=WAIT_MS)
    text = window.last_error.text()
    assert "x.safetensors" in text and "unsupported" in text.lower()
    window.last_error.close()
    assert window.session.model.name == "m16"
    window.latent_panel.seed.setValue(11)
    assert wait_current().request.latent.seed == 11


def test_undo_redo_restores_slider_and_drag_is_one_step(window, wait_current) -> None:
    wait_current()
    slider = window.truncation_panel.psi_slider
    for v in (0.9, 0.7, 0.5):  # one drag: merges into one undo step
        slider.setValue(slider.to_int(v))
    assert window.session.params.truncation.psi == 0.5
    assert window.session.undo_stack.count() == 1
    window.undo_action.trigger()
    assert window.session.params.truncation.psi == 1.0 and slider.float_value() == 1.0
    assert window.truncation_panel.psi_spin.value() == 1.0
    window.redo_action.trigger()
    assert window.session.params.truncation.psi == 0.5 and slider.float_value() == 0.5
    assert wait_current().request.truncation.psi == 0.5
    # After a release, the next edit of the same control is a new step.
    slider.sliderReleased.emit()
    slider.setValue(slider.to_int(0.2))
    assert window.session.undo_stack.count() == 2


@pytest.mark.parametrize("mode", ["const", "random"])
def test_noise_layer_slider_changes_frame(window, wait_current, mode) -> None:
    window.noise_panel.mode.setCurrentText(mode)
    assert window.session.params.noise.mode == mode
    before = wait_current().image.copy()
    last = window.noise_panel.sliders[-1]
    last.setValue(last.to_int(0.0))
    assert window.session.params.noise.layer_strengths[-1] == 0.0
    after = wait_current()
    assert not np.array_equal(before, after.image)


def test_panels_follow_capabilities(window, wait_current, model_files, qtbot) -> None:
    caps = window.session.caps
    assert len(window.styles_panel.rows) == caps.w_space.num_ws == 6
    assert len(window.noise_panel.rows) == caps.noise_layers == 5
    assert window.styles_panel.rows[0].label.text().endswith("4px")
    assert window.truncation_panel.cutoff.maximum() == 6
    for name in ("latent", "truncation", "styles", "noise"):
        assert not window.docks[name].isHidden()
    window.open_model(str(model_files["m32"]))
    qtbot.waitUntil(lambda: window.session.model.name == "m32", timeout=WAIT_MS)
    assert len(window.styles_panel.rows) == window.session.caps.w_space.num_ws == 8
    assert len(window.noise_panel.rows) == window.session.caps.noise_layers == 7
    assert len(window.session.params.mix.weights) == 8 and len(window.session.params.noise.layer_strengths) == 7
    wait_current()
    # A model without W space or noise (built from capabilities alone): those panels go away.
    plain = Capabilities(family="anything", task="unconditional", resolution=16, channels=3, z_dim=8)
    window._show_panels_for(plain)
    assert window.docks["styles"].isHidden() and window.docks["noise"].isHidden()
    assert window.docks["truncation"].isHidden() and not window.docks["latent"].isHidden()


def test_frames_keep_coming_during_a_drag(window, wait_current, qtbot) -> None:
    """One staleness rule: every frame that comes back is shown, so the canvas follows a drag that
    moves faster than frames render (no frame is thrown away for being older than the newest request)."""
    wait_current()
    slider = window.truncation_panel.psi_slider
    shown_before = window.frames.frames_shown
    seen: set[float] = set()
    for i in range(60):  # one drag: a move every few milliseconds
        slider.setValue(slider.to_int(1.0 - i / 100))
        qtbot.wait(5)
        if window.session.last_frame is not None:
            seen.add(window.session.last_frame.request.truncation.psi)
    last = wait_current()
    assert last.request.truncation.psi == window.session.params.truncation.psi
    assert window.frames.frames_shown - shown_before >= 3 and len(seen) >= 3  # frames during the drag
    assert window.session.undo_stack.count() == 1  # and still one undo step
