"""Parity of rosinality/stylegan2-pytorch checkpoints against the reference outputs (fixtures §1)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.checkpoints import CheckpointError
from engine.checkpoints.loader import load_model
from engine.checkpoints.safe_unpickle import load_torch
from engine.families import LoadedModel
from engine.models.stylegan2 import truncate

FIXTURES = (Path(__file__).parents[3] / ".." / "shared" / "fixtures").resolve()
ROS = FIXTURES / "rosinality_stylegan2"
pytestmark = pytest.mark.skipif(not ROS.is_dir(), reason=f"parity fixtures not found at {ROS}")

FILES = ["stylegan2_rosinality_g_ema.pt", "stylegan2_rosinality_train_ckpt.pt"]
ATOL = 1e-4


@pytest.fixture(scope="module")
def io() -> dict[str, torch.Tensor]:
    with np.load(ROS / "stylegan2_rosinality_io.npz") as f:
        return {k: torch.from_numpy(np.asarray(f[k])) for k in f.files}


@pytest.fixture(scope="module", params=FILES)
def model(request: pytest.FixtureRequest) -> LoadedModel:
    return load_model(ROS / request.param)


def close(actual: torch.Tensor, expected: torch.Tensor, atol: float = ATOL) -> None:
    assert actual.shape == expected.shape
    err = (actual - expected).abs().max().item()
    assert err <= atol, f"max abs error {err:.3g} > {atol}"


def test_architecture_is_inferred_from_shapes(model: LoadedModel) -> None:
    cfg = model.config
    assert (cfg.resolution, cfg.z_dim, cfg.w_dim, cfg.mapping_layers) == (64, 128, 128, 8)
    assert cfg.channels == (64, 64, 64, 64, 32)
    assert cfg.mapping_lr_mul == pytest.approx(0.01)
    assert cfg.num_ws == 10 and cfg.num_layers == 9
    assert model.meta["source"] == "rosinality"
    assert model.meta["classes"] == []
    assert model.capabilities.task == "unconditional"


@torch.no_grad()
def test_mapping(model: LoadedModel, io: dict[str, torch.Tensor]) -> None:
    close(model.map(io["in_z"])[:, 0], io["out_w"], 1e-5)
    close(model.map(io["in_z2"])[:, 0], io["out_w2"], 1e-5)


@torch.no_grad()
def test_no_truncation(model: LoadedModel, io: dict[str, torch.Tensor]) -> None:
    ws = model.map(io["in_z"])
    close(ws, io["out_latent_trunc1"], 1e-5)
    close(model.synthesize(ws, noise_mode="const"), io["out_img_trunc1"])


@torch.no_grad()
def test_truncation_with_reference_mean(model: LoadedModel, io: dict[str, torch.Tensor]) -> None:
    ws = truncate(model.map(io["in_z"]), io["in_mean_latent"][0], float(io["in_truncation"]))
    close(ws, io["out_latent_trunc07"], 1e-5)
    close(model.synthesize(ws, noise_mode="const"), io["out_img_trunc07"])


@torch.no_grad()
def test_style_mixing(model: LoadedModel, io: dict[str, torch.Tensor]) -> None:
    k = int(io["in_inject_index"])
    ws = torch.cat([model.map(io["in_z"])[:, :k], model.map(io["in_z2"])[:, k:]], dim=1)
    close(ws, io["out_latent_mix"], 1e-5)
    close(model.synthesize(ws, noise_mode="const"), io["out_img_mix"])


@torch.no_grad()
def test_synthesis_from_w(model: LoadedModel, io: dict[str, torch.Tensor]) -> None:
    ws = io["out_w"].unsqueeze(1).repeat(1, model.config.num_ws, 1)
    close(model.synthesize(ws, noise_mode="const"), io["out_img_from_w"])


def test_w_avg_stored_or_estimated(model: LoadedModel, io: dict[str, torch.Tensor]) -> None:
    if model.meta["name"].endswith("g_ema"):
        assert model.meta["w_avg"].startswith("stored")
    else:  # train.py stores no latent_avg: estimated like rosinality's mean_latent(4096) with seed 1
        assert model.meta["w_avg"].startswith("estimated")
    close(model.w_avg, io["in_mean_latent"][0], 1e-5)


def test_train_layout_loads_g_ema_not_g() -> None:
    ckpt = load_torch(ROS / "stylegan2_rosinality_train_ckpt.pt")
    assert isinstance(ckpt["args"], argparse.Namespace)
    m = load_model(ROS / "stylegan2_rosinality_train_ckpt.pt")
    assert m.meta["generator"] == "g_ema"
    ours = m.module.synthesis.blocks[1].conv0.weight
    assert torch.equal(ours, ckpt["g_ema"]["convs.0.conv.weight"][0])
    assert not torch.equal(ours, ckpt["g"]["convs.0.conv.weight"][0])


def test_refuses_other_arch_and_unknown_tensors(tmp_path: Path) -> None:
    ckpt = load_torch(ROS / "stylegan2_rosinality_g_ema.pt")
    swagan = tmp_path / "swagan.pt"
    torch.save({"g_ema": ckpt["g_ema"], "args": {"arch": "swagan"}}, swagan)
    with pytest.raises(CheckpointError, match="swagan"):
        load_model(swagan)
    extra = tmp_path / "extra.pt"
    torch.save({"g_ema": {**ckpt["g_ema"], "convs.0.mystery": torch.zeros(3)}}, extra)
    with pytest.raises(CheckpointError, match="does not implement"):
        load_model(extra)
