"""Parity of the GAN zoo DCGAN checkpoint against the reference outputs (fixtures §6)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.checkpoints import CheckpointError
from engine.checkpoints.convert import convert
from engine.checkpoints.gan_zoo import load
from engine.checkpoints.loader import load_model
from engine.checkpoints.native import load_native
from engine.checkpoints.safe_unpickle import load_torch

ATOL = 1e-4


@pytest.fixture(scope="module")
def zoo(fixtures_dir):
    return fixtures_dir / "pytorch_gan_zoo"


@pytest.fixture(scope="module")
def io(zoo):
    with np.load(zoo / "dcgan_small_io.npz") as f:
        return {k: torch.from_numpy(np.asarray(f[k])) for k in f.files}


def close(actual: torch.Tensor, expected: torch.Tensor, atol: float = ATOL) -> None:
    assert actual.shape == expected.shape
    err = (actual - expected).abs().max().item()
    assert err <= atol, f"max abs error {err:.3g} > {atol}"


def test_default_load_is_the_reference_test_path(zoo, io):
    """Detected by content; avgG with batch statistics, as GAN zoo's own test() computes it."""
    model = load_model(zoo / "dcgan_small.pth")
    assert model.family == "dcgan" and model.meta["source"] == "gan_zoo" and model.meta["generator"] == "avgG"
    caps = model.capabilities
    assert (caps.resolution, caps.channels, caps.z_dim, caps.classes) == (64, 3, 32, ())
    assert model.config.ngf == 16 and model.config.depth == 3 and model.config.bn_stats == "batch"
    with torch.no_grad():
        close(model.generate(io["in_z"]), io["out_img_avgG_test_trainmode_bn"])


@pytest.mark.parametrize(("which", "key"), [("avgG", "out_img_avgG_eval_bn"), ("netG", "out_img_netG_eval_bn")])
def test_running_statistics(zoo, io, which, key):
    model = load(zoo / "dcgan_small.pth", load_torch(zoo / "dcgan_small.pth"), which=which, bn_stats="running")
    with torch.no_grad():
        close(model.generate(io["in_z"]), io[key])
    assert not torch.allclose(io["out_img_avgG_eval_bn"], io["out_img_netG_eval_bn"])  # the copies differ


def test_convert_round_trip(zoo, io, tmp_path):
    out = convert(zoo / "dcgan_small.pth", tmp_path / "dcgan.safetensors")
    model = load_native(out)
    assert model.meta["provenance"]["source_format"] == "gan_zoo"
    with torch.no_grad():
        close(model.generate(io["in_z"]), io["out_img_avgG_test_trainmode_bn"])


def test_malformed_generator_is_refused(zoo, tmp_path):
    obj = load_torch(zoo / "dcgan_small.pth")
    del obj["avgG"]["main.convTranspose2.weight"]
    obj["netG"] = obj["avgG"]
    with pytest.raises(CheckpointError, match="convTranspose"):
        load(tmp_path / "bad.pth", obj)
    obj = load_torch(zoo / "dcgan_small.pth")
    obj["avgG"]["main.outlayer.weight"] = torch.zeros(16, 3, 3, 3)
    with pytest.raises(CheckpointError, match="outlayer.weight has shape"):
        load(tmp_path / "bad.pth", obj)
