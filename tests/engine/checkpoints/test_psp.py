"""Parity of pixel2style2pixel (pSp) checkpoints against the reference outputs (fixtures §5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.checkpoints import CheckpointError
from engine.checkpoints.loader import load_model
from engine.checkpoints.native import load_native, save_native
from engine.checkpoints.safe_unpickle import load_torch
from engine.families import LoadedModel

FIXTURES = (Path(__file__).parents[3] / ".." / "shared" / "fixtures").resolve()
PSP_DIR = FIXTURES / "psp"
CKPT = PSP_DIR / "psp_ffhq_encode_small_64.pt"
pytestmark = pytest.mark.skipif(not PSP_DIR.is_dir(), reason=f"parity fixtures not found at {PSP_DIR}")
ATOL = 1e-4


@pytest.fixture(scope="module")
def io() -> dict[str, torch.Tensor]:
    with np.load(PSP_DIR / "psp_ffhq_encode_small_64_io.npz") as f:
        return {k: torch.from_numpy(np.asarray(f[k])) for k in f.files}


@pytest.fixture(scope="module")
def model() -> LoadedModel:
    return load_model(CKPT)


def close(actual: torch.Tensor, expected: torch.Tensor, atol: float = ATOL) -> None:
    assert actual.shape == expected.shape
    err = (actual - expected).abs().max().item()
    assert err <= atol, f"max abs error {err:.3g} > {atol}"


def test_architecture_is_inferred(model: LoadedModel) -> None:
    cfg = model.config
    assert model.family == "psp" and model.meta["source"] == "psp"
    assert (cfg.input_size, cfg.stage_channels, cfg.stage_units, cfg.se_reduction) == (
        256,
        (4, 8, 16, 32),
        (3, 4, 14, 3),
        4,
    )
    assert (cfg.coarse_ind, cfg.middle_ind, cfg.num_ws, cfg.w_dim) == (3, 7, 10, 32)
    caps = model.capabilities
    assert caps.task == "encoder" and caps.encodes_into == "w+" and caps.resolution == 64
    assert caps.image_input.size == 256 and caps.w_space.num_ws == 10


@torch.no_grad()
def test_encoder_codes(model: LoadedModel, io: dict[str, torch.Tensor]) -> None:
    close(model.encode_raw(io["in_image"]), io["out_codes_encoder_raw"])
    close(model.encode(io["in_image"]), io["out_codes_plus_latent_avg"])
    close(model.encode(io["in_image"]), io["out_result_latent"])
    close(model.latent_avg[0:1], io["in_mean_latent"], 1e-6)


@torch.no_grad()
def test_images(model: LoadedModel, io: dict[str, torch.Tensor]) -> None:
    close(model.decode(model.encode(io["in_image"])), io["out_images"])


@torch.no_grad()
def test_style_mixing(model: LoadedModel, io: dict[str, torch.Tensor]) -> None:
    inject = model.map(io["in_z_inject"])
    close(inject, io["out_inject_latent"])
    ws = model.encode(io["in_image"])
    weights = torch.zeros(1, ws.shape[1], 1)
    weights[:, io["in_latent_mask"]] = float(io["in_alpha"])
    mixed = ws + (inject - ws) * weights  # the engine's per-layer style mix (RenderRequest.style_mix)
    close(model.decode(mixed), io["out_images_mixed"])


@torch.no_grad()
def test_native_round_trip(model: LoadedModel, io: dict[str, torch.Tensor], tmp_path: Path) -> None:
    again = load_native(save_native(model, tmp_path / "psp.safetensors"))
    assert again.capabilities == model.capabilities
    close(again.decode(again.encode(io["in_image"])), io["out_images"])


def test_unsupported_variants_are_refused(tmp_path: Path) -> None:
    obj = load_torch(CKPT)
    bad = dict(obj, opts=dict(obj["opts"], learn_in_w=True))
    torch.save(bad, tmp_path / "w.pt")
    with pytest.raises(CheckpointError, match="learn_in_w"):
        load_model(tmp_path / "w.pt")
    sd = dict(obj["state_dict"])
    sd.pop("encoder.styles.9.linear.bias")
    torch.save(dict(obj, state_dict=sd), tmp_path / "cut.pt")
    with pytest.raises(CheckpointError, match="encoder"):
        load_model(tmp_path / "cut.pt")
