"""The feature-map viewer dock: layers from the engine, grid / one channel, live updates, and no
feature request (so no hook) while the dock is closed or behind its tab."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from app.panels.features import ONE
from engine.features import grid_shape
from tests.app.conftest import WAIT_MS

pytestmark = pytest.mark.qt


def make_tiny(family_name: str, path: Path) -> Path:
    from engine.checkpoints.native import save_native
    from engine.families import get_family

    torch.manual_seed(0)
    fam = get_family(family_name)
    return save_native(fam.new(fam.tiny_config()), path)


def _hooks(window) -> int:
    mid = window.session.model_id
    return window.client.engine.call(
        lambda ctx: sum(len(m._forward_hooks) for m in ctx.model(mid).module.modules()), timeout=WAIT_MS / 1000
    )


def _open_viewer(window, qtbot) -> None:
    """Wait for the model's layers, then bring the viewer's tab to the front."""
    qtbot.waitUntil(lambda: window.features_panel.has_layers(), timeout=WAIT_MS)
    dock = window.docks["features"]
    assert not dock.isHidden()
    dock.raise_()
    qtbot.waitUntil(window.features_shown, timeout=WAIT_MS)


def _pick(window, layer: str) -> None:
    combo = window.features_panel.layer
    index = combo.findData(layer)
    assert index >= 0, layer
    combo.setCurrentIndex(index)


def _expected_grid(shape: tuple[int, int, int]) -> tuple[int, int, int]:
    c, h, w = shape
    rows, cols = grid_shape(c)
    return rows * (h + 1) - 1, cols * (w + 1) - 1, 1


def test_viewer_starts_behind_its_tab_and_asks_for_nothing(window, qtbot, wait_current) -> None:
    qtbot.waitUntil(lambda: window.features_panel.has_layers(), timeout=WAIT_MS)
    assert not window.features_shown()
    window.latent_panel.seed.setValue(4)
    assert wait_current().request.view.feature_layer is None


def test_stylegan2_layer_grid_channel_scale_live_and_hidden(window, qtbot, wait_current) -> None:
    _open_viewer(window, qtbot)
    panel = window.features_panel
    shapes = panel.shapes
    assert list(shapes) == ["b4.conv1", "b8.conv0", "b8.conv1", "b16.conv0", "b16.conv1"]
    assert shapes["b8.conv1"] == (16, 8, 8)

    _pick(window, "b8.conv1")
    grid = wait_current()
    assert grid.request.view.feature_layer == "b8.conv1" and grid.request.view.feature_channel is None
    assert grid.features.shape == _expected_grid(shapes["b8.conv1"]) == (35, 35, 1)
    assert panel.view.frame is grid.features
    assert "16 channels" in panel.caption.text()
    painted = panel.view.grab().toImage()
    assert panel.view.target_rect().width() >= 2 * 35  # shown enlarged
    assert painted.width() > 0

    # Live: another seed changes the activations shown.
    window.latent_panel.seed.setValue(9)
    moved = wait_current()
    assert moved.request.view.feature_layer == "b8.conv1" and not np.array_equal(moved.features, grid.features)

    undo_steps = window.session.undo_stack.count()
    panel.mode.setCurrentText(ONE)
    panel.channel.setValue(5)
    one = wait_current()
    assert one.request.view.feature_channel == 5 and one.features.shape == (8, 8, 1)
    assert panel.channel.maximum() == 15

    panel.scale.setValue(panel.scale.to_int(2.0))  # log2: gain 4
    brighter = wait_current()
    assert brighter.request.view.feature_scale == pytest.approx(4.0)
    assert np.abs(brighter.features.astype(int) - 128).sum() > np.abs(one.features.astype(int) - 128).sum()
    assert window.session.undo_stack.count() == undo_steps  # view settings are not image edits
    assert all(r.view.feature_layer is None for r in window.frames._side_sent.values())
    assert all(r.view.feature_layer is None for r in window.interpolate_panel.export_requests(3, False))

    # Hidden behind its tab, then closed: requests carry no layer and the model has no hook.
    window.docks["model"].raise_()
    qtbot.waitUntil(lambda: not window.features_shown(), timeout=WAIT_MS)
    window.latent_panel.seed.setValue(11)
    behind = wait_current()
    assert behind.request.view.feature_layer is None and behind.features is None
    window.docks["features"].raise_()
    qtbot.waitUntil(window.features_shown, timeout=WAIT_MS)
    assert wait_current().request.view.feature_layer == "b8.conv1"
    window.docks["features"].close()
    window.latent_panel.seed.setValue(12)
    closed = wait_current()
    assert closed.request.view.feature_layer is None and closed.request.latent.seed == 12 and closed.features is None
    assert _hooks(window) == 0


def test_dcgan_layer_grid(window, qtbot, wait_current, tmp_path) -> None:
    window.open_model(str(make_tiny("dcgan", tmp_path / "dc.safetensors")))
    qtbot.waitUntil(lambda: window.session.model.name == "dc", timeout=WAIT_MS)
    _open_viewer(window, qtbot)
    shapes = window.features_panel.shapes
    assert list(shapes)[0] == "4x4"
    layer = list(shapes)[1]
    _pick(window, layer)
    result = wait_current()
    assert result.request.view.feature_layer == layer
    assert result.features.shape == _expected_grid(shapes[layer])
    assert window.features_panel.view.frame is result.features
