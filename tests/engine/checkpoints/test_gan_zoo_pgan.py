"""Parity of the GAN zoo PGAN checkpoint against the reference outputs (fixtures §6)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.checkpoints import CheckpointError
from engine.checkpoints.convert import convert
from engine.checkpoints.gan_zoo import load
from engine.checkpoints.gan_zoo_pgan import zoo_alpha_to_ours
from engine.checkpoints.loader import load_model
from engine.checkpoints.native import load_native
from engine.checkpoints.safe_unpickle import load_torch

ATOL = 1e-4


@pytest.fixture(scope="module")
def zoo(fixtures_dir):
    return fixtures_dir / "pytorch_gan_zoo"


@pytest.fixture(scope="module")
def io(zoo):
    with np.load(zoo / "pgan_small_io.npz") as f:
        return {k: torch.from_numpy(np.asarray(f[k])) for k in f.files}


def close(actual: torch.Tensor, expected: torch.Tensor, atol: float = ATOL) -> None:
    assert actual.shape == expected.shape
    err = (actual - expected).abs().max().item()
    assert err <= atol, f"max abs error {err:.3g} > {atol}"


def test_default_load_is_avgG(zoo, io):
    model = load_model(zoo / "pgan_small.pth")
    assert model.family == "pggan" and model.meta["source"] == "gan_zoo" and model.meta["generator"] == "avgG"
    caps = model.capabilities
    assert (caps.resolution, caps.channels, caps.z_dim) == (32, 3, 64)
    assert caps.progressive.levels == (4, 8, 16, 32) and caps.progressive.alpha == 1.0  # zoo alpha 0
    with torch.no_grad():
        close(model.generate(io["in_z"]), io["out_img_avgG"])


def test_net_g(zoo, io):
    model = load(zoo / "pgan_small.pth", load_torch(zoo / "pgan_small.pth"), which="netG")
    with torch.no_grad():
        close(model.generate(io["in_z"]), io["out_img_netG"])
    assert not torch.allclose(io["out_img_avgG"], io["out_img_netG"])


def test_extra_alpha(zoo, io):
    model = load_model(zoo / "pgan_small.pth")
    alpha = zoo_alpha_to_ours(float(io["in_alpha_extra"]))
    with torch.no_grad():
        out = model.generate(io["in_z"], level=3, alpha=alpha)
        close(out, io["out_img_avgG_alpha_extra"])
        assert (out - io["out_img_avgG"]).abs().max() > 0.01  # the fade changes the image


def test_alpha_convention_is_weight_of_new_level(zoo, io):
    model = load_model(zoo / "pgan_small.pth")
    z = io["in_z"][:2]
    with torch.no_grad():
        old = model.generate(z, level=2, native=True)
        assert old.shape[-1] == 16
        faded_out = model.generate(z, level=3, alpha=0.0, native=True)
        torch.testing.assert_close(faded_out, torch.nn.functional.interpolate(old, scale_factor=2), atol=1e-6, rtol=0)
        shown = model.generate(z, level=1)  # up-sampled to the display size
        assert shown.shape[-1] == 32
    assert zoo_alpha_to_ours(0.25) == 0.75


def test_convert_round_trip(zoo, io, tmp_path):
    out = convert(zoo / "pgan_small.pth", tmp_path / "pgan.safetensors")
    model = load_native(out)
    assert model.meta["provenance"]["source_format"] == "gan_zoo"
    assert model.capabilities.progressive.levels == (4, 8, 16, 32)
    with torch.no_grad():
        close(model.generate(io["in_z"]), io["out_img_avgG"])


def test_malformed_generator_is_refused(zoo, tmp_path):
    obj = load_torch(zoo / "pgan_small.pth")
    del obj["avgG"]["toRGBLayers.2.module.bias"]
    with pytest.raises(CheckpointError, match="toRGBLayers.2.module.bias"):
        load(tmp_path / "bad.pth", obj)
    obj = load_torch(zoo / "pgan_small.pth")
    obj["avgG"]["scaleLayers.1.1.module.weight"] = torch.zeros(32, 16, 3, 3)
    with pytest.raises(CheckpointError, match="has shape"):
        load(tmp_path / "bad.pth", obj)
