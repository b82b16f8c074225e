"""StyleGAN (v1) is driven by the same panels as StyleGAN2: style sliders, per-layer noise, truncation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from app.panels.styles import preset_layers
from tests.app.conftest import WAIT_MS

pytestmark = pytest.mark.qt


def make_tiny_stylegan(path: Path) -> Path:
    """A random tiny StyleGAN v1 saved natively, with per-channel noise scales of 1 so noise shows."""
    from engine.checkpoints.native import save_native
    from engine.families import get_family

    torch.manual_seed(0)
    fam = get_family("stylegan")
    model = fam.new(fam.tiny_config())
    for layer in model.module.synthesis.layers:
        layer.noise_weight.data.fill_(1.0)
    return save_native(model, path)


@pytest.fixture
def v1_window(window, qtbot, wait_current, tmp_path):
    window.open_model(str(make_tiny_stylegan(tmp_path / "v1.safetensors")))
    qtbot.waitUntil(lambda: window.session.model.name == "v1", timeout=WAIT_MS)
    wait_current()
    return window


def test_layer_resolutions_come_from_capabilities(v1_window) -> None:
    caps = v1_window.session.caps
    assert caps.family == "stylegan" and caps.w_space.num_ws == caps.noise_layers == 6
    assert [caps.layer_resolution(i) for i in range(6)] == [4, 4, 8, 8, 16, 16]
    assert [caps.layer_resolution(i, "noise") for i in range(6)] == [4, 4, 8, 8, 16, 16]
    assert preset_layers(caps, "coarse") == [0, 1, 2, 3] and preset_layers(caps, "middle") == [4, 5]
    assert len(v1_window.styles_panel.rows) == 6 and len(v1_window.noise_panel.rows) == 6
    assert v1_window.styles_panel.rows[1].label.text().endswith("4px")
    assert v1_window.noise_panel.rows[2].label.text().endswith("8px")
    for name in ("latent", "truncation", "styles", "noise"):
        assert not v1_window.docks[name].isHidden(), name


def test_style_noise_and_truncation_controls_change_the_frame(v1_window, wait_current) -> None:
    w = v1_window
    before = wait_current().image.copy()
    w.styles_panel.mix_seed.setValue(7)
    slider = w.styles_panel.sliders[0]
    slider.setValue(slider.maximum())
    mixed = wait_current()
    assert mixed.request.mix.weights[0] == 1.0 and not np.array_equal(before, mixed.image)
    last = w.noise_panel.sliders[-1]
    last.setValue(last.to_int(0.0))
    assert w.session.params.noise.layer_strengths[-1] == 0.0
    denoised = wait_current()
    assert not np.array_equal(mixed.image, denoised.image)
    w.noise_panel.mode.setCurrentText("random")
    assert w.session.params.noise.mode == "random"
    assert not np.array_equal(denoised.image, wait_current().image)
    assert w.truncation_panel.cutoff.maximum() == 6
    again = wait_current().image.copy()
    w.truncation_panel.psi_slider.setValue(w.truncation_panel.psi_slider.to_int(0.3))
    truncated = wait_current()
    assert truncated.request.truncation.psi == pytest.approx(0.3) and not np.array_equal(again, truncated.image)
