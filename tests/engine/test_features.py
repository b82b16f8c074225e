"""Feature-map viewer: hooks only during the call, grid/channel images, every convolutional family."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.api import RenderRequest
from engine.families import get_family
from engine.features import capture, feature_image, grid_shape, layer_shapes
from engine.render import render, render_frame, render_tensor

CONV_FAMILIES = ("stylegan2", "stylegan", "pggan", "dcgan", "vae")


def _hooks(model) -> int:
    return sum(len(m._forward_hooks) for m in model.module.modules())


def _model(name):
    torch.manual_seed(0)
    fam = get_family(name)
    return fam.new(fam.tiny_config())


@pytest.mark.parametrize("family", CONV_FAMILIES)
def test_every_layer_renders_a_grid_and_leaves_no_hook(family):
    model = _model(family)
    names = model.layer_names()
    assert names, family
    plain = render(model, RenderRequest(model_id="m", seed=3))
    for name in names:
        with torch.no_grad():
            _, act = capture(model, name, lambda: render_tensor(model, RenderRequest(model_id="m", seed=3)))
        assert act.ndim == 4 and _hooks(model) == 0
        rows, cols = grid_shape(act.shape[1])
        grid = feature_image(act)
        h, w = act.shape[2:]
        assert grid.dtype == np.uint8 and grid.shape == (rows * (h + 1) - 1, cols * (w + 1) - 1, 1)
        one = feature_image(act, channel=act.shape[1] - 1, scale=2.0)
        assert one.shape == (h, w, 1)
    req = RenderRequest(model_id="m", seed=3, feature_layer=names[-1], feature_channel=0, feature_scale=1.5)
    image, features = render_frame(model, req)
    assert np.array_equal(image, plain) and features is not None and features.ndim == 3
    assert _hooks(model) == 0


def test_hook_removed_when_render_fails_and_bad_requests_are_refused():
    model = _model("stylegan2")
    name = model.layer_names()[0]

    def boom():
        model.synthesize(model.map(model.sample_z([0])))
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError, match="render failed"):
        capture(model, name, boom)
    assert _hooks(model) == 0
    with pytest.raises(ValueError, match="unknown layer"):
        render_frame(model, RenderRequest(model_id="m", feature_layer="nope"))
    with pytest.raises(ValueError, match="channel"):
        render_frame(model, RenderRequest(model_id="m", feature_layer=name, feature_channel=999))
    with pytest.raises(ValueError, match="scale"):
        render_frame(model, RenderRequest(model_id="m", feature_layer=name, feature_scale=0.0))
    assert _hooks(model) == 0


def test_scale_and_signed_mapping():
    act = torch.tensor([[[[-2.0, 0.0], [1.0, 2.0]]]])
    assert feature_image(act)[:, :, 0].tolist() == [[1, 128], [192, 255]]
    assert feature_image(act, scale=2.0)[:, :, 0].tolist() == [[1, 128], [255, 255]]
    four = feature_image(torch.ones(1, 4, 2, 2))
    assert four.shape == (5, 5, 1) and four[2, :, 0].tolist() == [0] * 5  # separators


@pytest.mark.parametrize("family", CONV_FAMILIES)
def test_layer_shapes_match_the_captured_activations_and_leave_no_hook(family):
    model = _model(family)
    shapes = layer_shapes(model)
    assert list(shapes) == model.layer_names()
    assert _hooks(model) == 0
    for name in (model.layer_names()[0], model.layer_names()[-1]):
        _, act = capture(model, name, lambda: render_tensor(model, RenderRequest(model_id="m")))
        assert shapes[name] == tuple(act.shape[1:])
