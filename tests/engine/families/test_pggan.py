"""PGGAN family: trained state in capabilities, levels and fade as render options."""

from __future__ import annotations

import pytest
import torch

from engine.api import RenderRequest
from engine.checkpoints.native import load_native, save_native
from engine.families import get_family
from engine.render import render


@pytest.fixture
def model():
    torch.manual_seed(0)
    fam = get_family("pggan")
    return fam.new(fam.tiny_config())


def test_trained_state_sets_levels_and_default_view(model, tmp_path):
    model.module.set_trained(1, 0.25)
    caps = model.capabilities
    assert caps.progressive.levels == (4, 8) and caps.progressive.alpha == 0.25
    z = model.sample_z([3])
    with torch.no_grad():
        default = model.generate(z, native=True)
        assert default.shape[-1] == 8
        torch.testing.assert_close(default, model.generate(z, level=1, alpha=0.25, native=True))
        assert not torch.allclose(default, model.generate(z, level=1, alpha=1.0, native=True))
        with pytest.raises(ValueError, match="trained level"):
            model.generate(z, level=2)
    assert model.layer_names() == ["b4.conv", "b8.conv0", "b8.conv1"]
    again = load_native(save_native(model, tmp_path / "p.safetensors"))
    assert again.capabilities.progressive == caps.progressive


def test_render_request_options_pick_level_and_alpha(model):
    req = RenderRequest(model_id="m", seed=1, options=(("level", 0), ("alpha", 1.0)))
    low = render(model, req)
    assert low.shape == (16, 16, 3)
    assert (low[::4, ::4] == low[1::4, 1::4]).all()  # a 4x4 image shown with nearest up-sampling
    full = render(model, RenderRequest(model_id="m", seed=1))
    assert not (full == low).all()
    with pytest.raises(ValueError, match="options"):
        render(model, RenderRequest(model_id="m", options=(("psi", 0.5),)))
