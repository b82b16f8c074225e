"""Every registered family honours the contract at a tiny CPU config."""

from __future__ import annotations

import pytest
import torch

from engine.checkpoints.native import load_native, save_native
from engine.families import UnknownFamilyError, family_names, get_family

FAMILIES = family_names()


def test_unknown_family_lists_known_ones():
    with pytest.raises(UnknownFamilyError) as e:
        get_family("no-such-family")
    assert all(name in str(e.value) for name in FAMILIES)


@pytest.fixture(params=FAMILIES)
def model(request):
    torch.manual_seed(0)
    fam = get_family(request.param)
    return fam.new(fam.tiny_config())


def _inputs(model, seeds):
    caps = model.capabilities
    z = model.sample_z(seeds) if caps.z_dim > 0 else None
    c = model.one_hot([i % max(1, len(caps.classes)) for i in range(len(seeds))], len(seeds))
    return z, c


def _forward(model, seeds):
    caps = model.capabilities
    z, c = _inputs(model, seeds)
    with torch.no_grad():
        if caps.w_space is not None:
            return model.synthesize(model.map(z, c))
        if caps.task in ("image-to-image", "multi-domain"):
            size = caps.image_input.size
            gen = torch.Generator().manual_seed(seeds[0])
            x = torch.rand(len(seeds), caps.image_input.channels, size, size, generator=gen) * 2 - 1
            if caps.task == "multi-domain":
                return model.translate(x, target=model.one_hot([1 % len(caps.classes)], len(seeds)))
            return model.translate(x, caps.image_input.directions[0])
        return model.generate(z, c)


def test_output_shape_and_range(model):
    caps = model.capabilities
    img = _forward(model, [0, 1, 2])
    assert img.shape == (3, caps.channels, caps.resolution, caps.resolution)
    assert torch.isfinite(img).all()
    assert img.abs().max() < 50  # about [-1, 1] once trained; random weights stay bounded


def test_deterministic_per_seed(model):
    a = _forward(model, [7, 8])
    b = _forward(model, [7, 8])
    torch.testing.assert_close(a, b, rtol=0, atol=0)
    if model.capabilities.z_dim > 0:
        assert not torch.equal(model.sample_z([7]), model.sample_z([8]))


def test_native_round_trip(model, tmp_path):
    path = save_native(model, tmp_path / "m.safetensors")
    again = load_native(path)
    assert again.capabilities == model.capabilities
    torch.testing.assert_close(_forward(again, [3, 4]), _forward(model, [3, 4]), rtol=0, atol=0)


def test_capabilities_match_operations(model):
    caps = model.capabilities
    z, c = _inputs(model, [0])
    if caps.w_space is not None:
        ws = model.map(z, c, psi=0.5, cutoff=1)
        assert ws.shape == (1, caps.w_space.num_ws, caps.w_space.w_dim)
        if caps.w_space.has_w_avg:
            assert model.w_avg.shape == (caps.w_space.w_dim,)
        if caps.noise_layers:
            ones = [1.0] * caps.noise_layers
            for mode in ("const", "random", "none"):
                model.synthesize(ws, noise_mode=mode, noise_strengths=ones, noise_seed=1)
            with pytest.raises(ValueError):
                model.synthesize(ws, noise_strengths=ones[:-1])
    else:
        with pytest.raises(NotImplementedError):
            model.map(z, c)
    if caps.image_input is None:
        with pytest.raises(NotImplementedError):
            model.translate(torch.zeros(1, caps.channels, caps.resolution, caps.resolution), "A->B")
    if caps.encodes_into is None:
        with pytest.raises(NotImplementedError):
            model.encode(torch.zeros(1, caps.channels, caps.resolution, caps.resolution))
    if caps.encodes_into == "z":
        size = caps.image_input.size
        x = torch.rand(2, caps.image_input.channels, size, size) * 2 - 1
        z = model.encode(x)
        assert z.shape == (2, caps.z_dim)
        assert model.decode(z).shape == (2, caps.channels, caps.resolution, caps.resolution)
    if caps.task == "image-to-image":
        size = caps.image_input.size
        x = torch.rand(2, caps.image_input.channels, size, size) * 2 - 1
        for d in caps.image_input.directions:
            assert model.translate(x, d).shape == (2, caps.channels, caps.resolution, caps.resolution)
        with pytest.raises(ValueError):
            model.translate(x, "no-such-direction")
    if caps.task == "multi-domain":
        size = caps.image_input.size
        x = torch.rand(2, caps.image_input.channels, size, size) * 2 - 1
        k = len(caps.classes)
        several = torch.ones(2, k)  # several target domains at once
        assert model.translate(x, target=several).shape == (2, caps.channels, caps.resolution, caps.resolution)
        assert not torch.equal(model.translate(x, target=several), model.translate(x, target=torch.zeros(2, k)))
        with pytest.raises(ValueError):
            model.translate(x, target=torch.ones(2, k + 1))
        with pytest.raises(ValueError):
            model.translate(x)
    if caps.latent_directions:
        comps, std = model.latent_directions()
        assert comps.shape == (caps.latent_directions, caps.z_dim) and std.shape == (caps.latent_directions,)
    else:
        with pytest.raises(NotImplementedError):
            model.latent_directions()
