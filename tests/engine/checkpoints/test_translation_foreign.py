"""Parity of pytorch-CycleGAN-and-pix2pix and StarGAN generators against the reference outputs (fixtures §3, §4)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch

from engine.checkpoints import CheckpointError
from engine.checkpoints.convert import convert
from engine.checkpoints.cyclegan_pix2pix import load as load_cp
from engine.checkpoints.loader import load_model
from engine.checkpoints.native import load_native
from engine.checkpoints.safe_unpickle import load_torch
from engine.checkpoints.sniff import TORCH_LEGACY, TORCH_ZIP, sniff
from engine.checkpoints.stargan import load as load_star

ATOL = 1e-4


def _io(path):
    with np.load(path) as f:
        return {k: torch.from_numpy(np.asarray(f[k])) for k in f.files}


def close(actual: torch.Tensor, expected: torch.Tensor, atol: float = ATOL) -> float:
    assert actual.shape == expected.shape
    err = (actual - expected).abs().max().item()
    assert err <= atol, f"max abs error {err:.3g} > {atol}"
    return err


@pytest.fixture(scope="module")
def cp(fixtures_dir):
    return fixtures_dir / "cyclegan_pix2pix"


@pytest.fixture(scope="module")
def star(fixtures_dir):
    return fixtures_dir / "stargan"


def test_cyclegan_resnet_parity(cp):
    io = _io(cp / "cyclegan_resnet_io.npz")
    model = load_model(cp / "latest_net_G_A.pth")
    assert model.family == "cyclegan" and model.meta["source"] == "cyclegan_pix2pix"
    cfg = model.config
    assert (cfg.ngf, cfg.n_blocks, cfg.n_downsampling, cfg.norm, cfg.dropout) == (16, 9, 2, "instance", False)
    assert model.capabilities.image_input.directions == ("AtoB",)  # no G_B beside it
    with torch.no_grad():
        close(model.translate(io["in_image"], "AtoB"), io["out_eval"])


def test_cyclegan_pairs_with_the_other_direction(cp, tmp_path):
    shutil.copy(cp / "latest_net_G_A.pth", tmp_path / "latest_net_G_A.pth")
    shutil.copy(cp / "latest_net_G_A.pth", tmp_path / "latest_net_G_B.pth")
    io = _io(cp / "cyclegan_resnet_io.npz")
    model = load_model(tmp_path / "latest_net_G_B.pth")
    assert model.capabilities.image_input.directions == ("AtoB", "BtoA")
    with torch.no_grad():
        close(model.translate(io["in_image"], "BtoA"), io["out_eval"])
        close(model.translate(io["in_image"], "AtoB"), io["out_eval"])


def test_pix2pix_unet_parity(cp):
    io = _io(cp / "pix2pix_unet_io.npz")
    model = load_model(cp / "latest_net_G.pth")
    assert model.family == "pix2pix"
    cfg = model.config
    assert (cfg.num_downs, cfg.ngf, cfg.norm, cfg.resolution) == (6, 16, "batch", 64)
    with torch.no_grad():
        # out_eval is small (|x| <= 0.12), so a proportionally tighter tolerance
        close(model.translate(io["in_image"]), io["out_eval"], atol=1e-5)
        # upstream's test.py without --eval: batch statistics (dropout is random, so switched off)
        net = model.module
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.train()
        close(net(io["in_image"]), io["out_train_bn_no_dropout"])
        net.eval()


@pytest.mark.parametrize("name", ["200000-G.ckpt", "200000-G_legacy_format.ckpt"])
def test_stargan_parity(star, name):
    io = _io(star / "stargan_io.npz")
    path = star / name
    assert sniff(path) == (TORCH_LEGACY if "legacy" in name else TORCH_ZIP)
    model = load_model(path)
    assert model.family == "stargan" and model.meta["source"] == "stargan"
    cfg = model.config
    assert (cfg.conv_dim, cfg.c_dim, cfg.repeat_num) == (16, 5, 6)
    assert model.capabilities.classes == ("Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young")
    with torch.no_grad():
        close(model.translate(io["in_image"], target=io["in_label"]), io["out_train_mode"])
    running = load_star(path, load_torch(path), norm_stats="running")
    with torch.no_grad():
        close(running.translate(io["in_image"], target=io["in_label"]), io["out_eval_mode"])


def test_stargan_torch04_checkpoint_without_num_batches_tracked(star, tmp_path):
    io = _io(star / "stargan_io.npz")
    sd = {k: v for k, v in load_torch(star / "200000-G.ckpt").items() if not k.endswith("num_batches_tracked")}
    model = load_star(tmp_path / "old-G.ckpt", sd)
    with torch.no_grad():
        close(model.translate(io["in_image"], target=io["in_label"]), io["out_train_mode"])


@pytest.mark.parametrize(
    ("src", "npz", "call"),
    [
        ("cyclegan_pix2pix/latest_net_G_A.pth", "cyclegan_pix2pix/cyclegan_resnet_io.npz", "AtoB"),
        ("cyclegan_pix2pix/latest_net_G.pth", "cyclegan_pix2pix/pix2pix_unet_io.npz", "AtoB"),
        ("stargan/200000-G.ckpt", "stargan/stargan_io.npz", None),
    ],
)
def test_convert_round_trip(fixtures_dir, tmp_path, src, npz, call):
    io = _io(fixtures_dir / npz)
    model = load_native(convert(fixtures_dir / src, tmp_path / "m.safetensors"))
    with torch.no_grad():
        if call is None:
            assert model.capabilities.classes[0] == "Black_Hair"
            close(model.translate(io["in_image"], target=io["in_label"]), io["out_train_mode"])
        else:
            close(model.translate(io["in_image"], call), io["out_eval"])


def test_malformed_and_discriminators_are_refused(cp, star, tmp_path):
    sd = load_torch(cp / "latest_net_G_A.pth")
    sd["model.26.weight"] = torch.zeros(3, 16, 5, 5)
    with pytest.raises(CheckpointError, match="model.26.weight has shape"):
        load_cp(tmp_path / "bad_net_G.pth", sd)
    sd = load_torch(cp / "latest_net_G.pth")
    del sd["model.model.1.model.5.weight"]
    with pytest.raises(CheckpointError, match="lacks"):
        load_cp(tmp_path / "bad_net_G.pth", sd)
    d = {
        "model.0.weight": torch.zeros(8, 3, 4, 4),
        "model.0.bias": torch.zeros(8),
        "model.2.weight": torch.zeros(16, 8, 4, 4),
    }
    with pytest.raises(CheckpointError, match="discriminator"):
        load_cp(tmp_path / "latest_net_D.pth", d)
    sd = load_torch(star / "200000-G.ckpt")
    sd["main.0.weight"] = sd["main.0.weight"][:, :3]
    with pytest.raises(CheckpointError, match="no labels"):
        load_star(tmp_path / "x-G.ckpt", sd)
    d = {
        "main.0.weight": torch.zeros(8, 3, 4, 4),
        "conv1.weight": torch.zeros(1, 8, 3, 3),
        "conv2.weight": torch.zeros(5, 8, 2, 2),
    }
    torch.save(d, tmp_path / "200000-D.ckpt")
    with pytest.raises(CheckpointError, match="discriminator"):
        load_model(tmp_path / "200000-D.ckpt")
