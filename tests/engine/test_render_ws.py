"""Rendering an explicit W+ latent (``RenderRequest.ws``): the same frame as its seed, with W edits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.api import Arithmetic, Interpolation, LatentTerm, RenderRequest
from engine.families import get_family
from engine.render import render


@pytest.fixture
def model():
    torch.manual_seed(0)
    fam = get_family("stylegan2")
    m = fam.new(fam.tiny_config())
    for layer in m.module.synthesis.layers:
        layer.noise_strength.data.fill_(0.3)
    with torch.no_grad():
        m.module.mapping.w_avg.copy_(m.map(torch.randn(500, 16))[:, 0].mean(0))
    return m


def _ws(model, seed):
    with torch.no_grad():
        return tuple(tuple(float(v) for v in row) for row in model.map(model.sample_z([seed]))[0])


def test_explicit_ws_renders_like_its_seed(model):
    ws = _ws(model, 3)
    base = RenderRequest("m", seed=3)
    explicit = RenderRequest("m", seed=99, ws=ws)
    np.testing.assert_array_equal(render(model, explicit), render(model, base))
    for changes in (
        {"psi": 0.5, "cutoff": 2},
        {"w_offset": tuple([0.7] * 16), "w_offset_layers": (1, 3)},
        {"mix_seed": 5, "style_mix": (0, 0, 0, 1, 1, 1)},
        {"interpolation": Interpolation(7, 0.4, "lerp", "w")},
        {"arithmetic": Arithmetic((LatentTerm(None, 1.0), LatentTerm(4, -0.5), LatentTerm(6, 0.5)), "w")},
    ):
        a = render(model, RenderRequest("m", seed=3, **changes))
        b = render(model, RenderRequest("m", seed=99, ws=ws, **changes))
        assert np.abs(a.astype(int) - b.astype(int)).max() <= 1, changes
        assert not np.array_equal(a, render(model, base)), changes


def test_bad_ws_is_an_error(model):
    with pytest.raises(ValueError, match="rows"):
        render(model, RenderRequest("m", ws=((0.0,) * 16,) * 5))
