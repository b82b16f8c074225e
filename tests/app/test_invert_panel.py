"""Inverting images in the explorer: projection (live reconstruction, cancel) and the pSp encoder."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from app.params import DirectionEdit
from tests.app.conftest import WAIT_MS
from tests.app.test_main_window import drop_files

pytestmark = pytest.mark.qt


def _image(path: Path) -> Path:
    rng = np.random.default_rng(5)
    Image.fromarray(rng.integers(0, 256, (20, 26, 3), dtype=np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def psp_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from engine.checkpoints.native import save_native
    from engine.families import get_family

    torch.manual_seed(0)
    fam = get_family("psp")
    return save_native(fam.new(fam.tiny_config()), tmp_path_factory.mktemp("psp") / "tinypsp.safetensors")


def test_dropped_image_is_projected_live_then_edited(window, wait_current, qtbot, tmp_path) -> None:
    w = window
    panel = w.encode_panel
    panel.steps.setValue(20)
    previews: list[int] = []
    original = panel.show_progress

    def spy(done, total, message, preview):
        if preview is not None:
            previews.append(done)
        original(done, total, message, preview)

    panel.show_progress = spy
    drop_files(w, [_image(tmp_path / "face.png")])
    qtbot.waitUntil(lambda: panel.running, timeout=WAIT_MS)
    assert not panel.cancel_button.isHidden() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: w.session.params.latent.ws is not None, timeout=WAIT_MS)
    assert previews and previews == sorted(previews)  # the reconstruction updated while it ran
    assert not panel.running and panel.input_view.frame.shape == (16, 16, 3)
    res = wait_current()
    assert res.request.latent.ws == w.session.params.latent.ws and len(res.request.latent.ws) == 6
    np.testing.assert_array_equal(res.image, panel.recon_view.frame)  # the latent renders as reconstructed
    # The W tools work from the inverted latent: truncation, a direction offset, style mixing.
    base = res.image
    w.session.edit("psi", {"truncation": {"psi": 0.3}})
    res = wait_current()
    assert res.request.latent.ws == w.session.params.latent.ws and not np.array_equal(res.image, base)
    w.session.edit("discover", {"found": DirectionEdit([1.5] * 16, "w", (0, 3))})
    res = wait_current()
    assert res.request.edits.w_offset is not None and res.request.latent.ws == w.session.params.latent.ws
    # Undo goes back to the seed's latent; picking a seed forgets the image.
    w.undo_action.trigger()
    w.undo_action.trigger()
    w.undo_action.trigger()
    assert w.session.params.latent.ws is None
    w.redo_action.trigger()
    assert w.session.params.latent.ws is not None
    w.latent_panel.seed.setValue(w.session.params.latent.seed + 1)
    assert w.session.params.latent.ws is None and w.last_error is None


def test_projection_can_be_cancelled(window, qtbot, tmp_path) -> None:
    w = window
    panel = w.encode_panel
    panel.steps.setValue(5000)
    panel.take_image(str(_image(tmp_path / "x.png")))
    qtbot.waitUntil(lambda: panel.progress.value() > 2 and "left" in panel.status.text(), timeout=WAIT_MS)
    assert panel.progress.maximum() == 5000 and panel.progress.isVisible()
    assert re.search(r"step \d+/5000: loss [\d.]+ — about .+ left$", panel.status.text())  # the time estimate
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=WAIT_MS)
    assert "Cancelled" in panel.status.text() and w.session.params.latent.ws is None and w.last_error is None
    assert panel.run_button.isEnabled()  # the same image can be run again


def test_bad_image_gets_a_dialog(window, qtbot, tmp_path) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    window.encode_panel.take_image(str(bad))
    qtbot.waitUntil(lambda: window.last_error is not None, timeout=WAIT_MS)
    assert "not a readable image" in window.last_error.text()
    assert not window.encode_panel.running and window.session.params.latent.ws is None


def test_psp_model_encodes_into_wplus(window, wait_current, psp_file, qtbot, tmp_path) -> None:
    w = window
    w.open_model(str(psp_file))
    qtbot.waitUntil(lambda: w.session.model.name == "tinypsp", timeout=WAIT_MS)
    wait_current()
    method = w.encode_panel.method
    assert [method.itemData(i) for i in range(method.count())] == ["encoder", "project"]
    assert not w.docks["styles"].isHidden()
    drop_files(w.encode_panel, [_image(tmp_path / "p.png")])
    qtbot.waitUntil(lambda: w.session.params.latent.ws is not None, timeout=WAIT_MS)
    res = wait_current()
    assert res.request.latent.ws == w.session.params.latent.ws
    np.testing.assert_array_equal(res.image, w.encode_panel.recon_view.frame)
    w.interpolate_panel.t_slider.setValue(w.interpolate_panel.t_slider.to_int(0.3))
    res = wait_current()
    assert res.request.latent.ws == w.session.params.latent.ws and res.request.edits.interpolation.space == "wplus"


def test_psp_encoding_shows_progress_and_cancels_while_rendering(window, psp_file, qtbot, tmp_path, monkeypatch):
    """A pSp decoder's frame takes seconds at 1024 px on a CPU: the panel says what it does and
    Cancel stops the render between its layers (here a render that only checks for cancellation)."""
    import engine.latent.invert_job as invert_job
    from engine import interrupt

    real = invert_job.encode_batch_steps
    rendering = []

    def slow_steps(model, x):
        steps = real(model, x)
        yield next(steps)  # encoded
        for _ in range(60_000):  # the "layers" of a slow reconstruction
            rendering.append(1)
            interrupt.check()
            time.sleep(0.001)
        return (yield from steps)

    monkeypatch.setattr(invert_job, "encode_batch_steps", slow_steps)
    w = window
    w.open_model(str(psp_file))
    qtbot.waitUntil(lambda: w.session.model.name == "tinypsp", timeout=WAIT_MS)
    panel = w.encode_panel
    assert panel.current_method == "encoder"
    panel.take_image(str(_image(tmp_path / "q.png")))
    qtbot.waitUntil(lambda: panel.progress.maximum() == 2 and panel.progress.value() == 1, timeout=WAIT_MS)
    assert "rendering the reconstruction" in panel.status.text() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: len(rendering) > 10, timeout=WAIT_MS)
    panel.cancel_button.click()
    qtbot.waitUntil(lambda: not panel.running, timeout=WAIT_MS)
    assert len(rendering) < 60_000  # stopped inside the step
    assert "Cancelled" in panel.status.text() and w.session.params.latent.ws is None and w.last_error is None
