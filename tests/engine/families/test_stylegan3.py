"""StyleGAN3: layer plan, no noise, per-call input transform, W-space operations, magnitude EMA."""

from __future__ import annotations

import copy

import pytest
import torch

from engine.api import RenderRequest, Transform
from engine.families import get_family
from engine.input_transform import InputTransform
from engine.models.stylegan3 import StyleGAN3Config
from engine.models.stylegan3_layout import plan
from engine.render import render_tensor


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    fam = get_family("stylegan3")
    return fam.new(fam.tiny_config())


def test_plan_of_the_published_configs():
    """The layer list NVlabs' train.py gives FFHQ 1024 (config T) and AFHQ 512 (config R)."""
    inp, layers = plan(StyleGAN3Config(resolution=1024, channel_base=32768, channel_max=512))
    assert (inp.channels, inp.size, inp.sampling_rate, inp.bandwidth) == (512, 36, 16.0, 2.0)
    names = [s.name for s in layers]
    assert names == [
        "L0_36_512", "L1_36_512", "L2_52_512", "L3_52_512", "L4_84_512", "L5_148_512", "L6_148_512", "L7_276_323",
        "L8_276_203", "L9_532_128", "L10_1044_81", "L11_1044_51", "L12_1044_32", "L13_1024_32", "L14_1024_3",
    ]  # fmt: skip
    assert [s.out_sampling_rate for s in layers] == [16, 16, 32, 32, 64, 128, 128, 256, 256, 512] + [1024] * 5
    assert layers[-1].is_torgb and layers[-1].up == layers[-1].down == 1 and layers[-1].conv_kernel == 1
    cfg_r = StyleGAN3Config(
        resolution=512, channel_base=65536, channel_max=1024, conv_kernel=1, use_radial_filters=True
    )
    assert cfg_r.variant == "r" and StyleGAN3Config().variant == "t"
    _, layers_r = plan(cfg_r)
    assert [s.down_radial for s in layers_r] == [True] * 12 + [False] * 3
    assert [s.name for s in layers_r][-6:] == [
        "L9_276_431", "L10_532_287", "L11_532_192", "L12_532_128", "L13_512_128", "L14_512_3"
    ]  # fmt: skip


def test_config_checks():
    with pytest.raises(ValueError, match="power of two"):
        StyleGAN3Config(resolution=48)
    with pytest.raises(ValueError, match="num_critical"):
        StyleGAN3Config(num_layers=2, num_critical=2)
    with pytest.raises(ValueError, match="channels"):
        StyleGAN3Config(resolution=16, num_layers=4, channels=(8, 8, 8))
    with pytest.raises(ValueError, match="num_layers must be at most 64"):
        StyleGAN3Config(num_layers=10**9)  # refused before the layer plan allocates anything
    with pytest.raises(ValueError, match="filter_size"):
        StyleGAN3Config(filter_size=10**6)


def test_capabilities_and_no_noise(model):
    caps = model.capabilities
    assert caps.input_transform and caps.noise_layers is None and caps.w_space.num_ws == 6
    assert len(caps.w_space.layer_resolutions) == caps.w_space.num_ws
    ws = model.map(model.sample_z([1]))
    with torch.no_grad():
        a = model.synthesize(ws, noise_mode="const")
        assert torch.equal(a, model.synthesize(ws, noise_mode="random", noise_seed=3))
        assert torch.equal(a, model.synthesize(ws, noise_mode="none"))
        with pytest.raises(ValueError, match="no noise layers"):
            model.synthesize(ws, noise_strengths=[1.0])
        with pytest.raises(ValueError, match="noise_mode"):
            model.synthesize(ws, noise_mode="loud")
        with pytest.raises(ValueError, match="ws must be"):
            model.synthesize(ws[:, :-1])


@torch.no_grad()
def test_input_transform_per_call(model):
    ws = model.map(model.sample_z([1, 2]))
    plain = model.synthesize(ws)
    tr = InputTransform(0.1, -0.05, 20.0)
    moved = model.synthesize(ws, transform=tr)
    assert (moved - plain).abs().max() > 1e-3
    assert torch.equal(model.synthesize(ws), plain)  # nothing is left behind
    assert torch.equal(model.synthesize(ws, transform=InputTransform()), plain)
    # One transform per sample: each row gets its own.
    both = model.synthesize(ws, transform=torch.stack([torch.eye(3), tr.matrix()]))
    torch.testing.assert_close(both[0], plain[0], rtol=0, atol=1e-6)
    torch.testing.assert_close(both[1], moved[1], rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match=r"\[3, 3\]"):
        model.synthesize(ws, transform=torch.eye(2))
    with pytest.raises(ValueError, match="transform must be"):
        model.synthesize(ws, transform=torch.eye(3).expand(3, 3, 3))
    # A full turn brings the image back.
    torch.testing.assert_close(model.synthesize(ws, transform=InputTransform(rotate=360.0)), plain, rtol=0, atol=1e-5)
    # Through a render request's Transform part (how the explorer's transform panel passes it).
    req = RenderRequest(model_id="m", seed=4, transform=Transform(0.1, 0.0, 20.0))
    img = render_tensor(model, req)
    expected = model.synthesize(model.map(model.sample_z([4])), transform=InputTransform(0.1, 0.0, 20.0))
    assert torch.equal(img, expected)
    assert torch.equal(render_tensor(model, RenderRequest("m", seed=4, translate_x=0.1, rotate=20.0)), expected)
    assert torch.equal(
        render_tensor(model, RenderRequest("m", seed=4)), model.synthesize(model.map(model.sample_z([4])))
    )


@torch.no_grad()
def test_w_space_operations(model):
    ws = model.map(model.sample_z([1]))
    base = model.synthesize(ws)
    # Every style layer matters. The input's (ws[0]: rotation and translation) starts without effect
    # (its affine weight is initialised to zero, as in the paper) and acts once that weight is learned.
    other = model.map(model.sample_z([2]))
    for i in range(ws.shape[1]):
        ws2 = ws.clone()
        ws2[:, i] = other[:, i]
        changed = (model.synthesize(ws2) - base).abs().max() > 1e-5
        assert changed == (i > 0), f"style layer {i}"
    g = copy.deepcopy(model)
    g.module.synthesis.input.affine.weight.normal_()
    ws2 = ws.clone()
    ws2[:, 0] = other[:, 0]
    assert (g.synthesize(ws2) - g.synthesize(ws)).abs().max() > 1e-5
    t = model.truncate(ws, 0.0, cutoff=2)
    assert torch.equal(t[:, :2], model.w_avg.expand(1, 2, -1)) and torch.equal(t[:, 2:], ws[:, 2:])
    # Style mixing per layer through the render pipeline.
    n = model.capabilities.w_space.num_ws
    mixed = render_tensor(model, RenderRequest(model_id="m", seed=1, mix_seed=2, style_mix=(0.0,) * (n - 1) + (1.0,)))
    assert (mixed - base).abs().max() > 1e-5
    weights = model.latent_weights()
    assert [i for i, _ in weights] == list(range(1, n - 1))
    assert all(w.shape[1] == model.capabilities.w_space.w_dim for _, w in weights)


def test_feature_layers(model):
    from engine.features import layer_shapes

    shapes = layer_shapes(model)
    assert list(shapes) == model.layer_names() and model.layer_names()[0] == "input"
    inp = model.module.synthesis.input
    assert shapes["input"] == (inp.channels, inp.size, inp.size)
    with pytest.raises(ValueError):
        model.layer_module("L99_1_1")


def test_magnitude_ema_tracks_inputs_in_training(model):
    fam = get_family("stylegan3")
    g = fam.build(fam.tiny_config()).train()
    ws = g.mapping(torch.randn(4, 16))
    before = [layer.magnitude_ema.clone() for layer in g.synthesis.layers]
    img = g.synthesis(ws, update_emas=True)
    img.square().mean().backward()  # trainable end to end
    after = [layer.magnitude_ema for layer in g.synthesis.layers]
    assert all(not torch.equal(a, b) for a, b in zip(before, after))
    assert g.synthesis.layers[0].weight.grad is not None and g.synthesis.input.affine.weight.grad is not None
    assert g.synthesis.input.affine.weight.grad.abs().sum() > 0


def test_projection_into_w_plus(model):
    """Projection (the Encode panel's optimiser) works through the alias-free layers; no noise maps."""
    from engine.latent.project import ProjectConfig, project

    with torch.no_grad():
        target = model.synthesize(model.map(model.sample_z([5])), transform=InputTransform(0.05, 0.0, 10.0))
    losses: list[float] = []
    res = project(
        model, target, ProjectConfig(steps=30, space="wplus", preview_every=10), lambda im, s, loss: losses.append(loss)
    )
    assert losses[-1] < 0.7 * losses[0] and res.noise is None
    assert res.ws.shape == (1, model.capabilities.w_space.num_ws, 16)
