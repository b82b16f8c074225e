"""The discriminators of NVlabs pickles (stylegan2-ada §2, stylegan3 §7) against the reference logits."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine.checkpoints import CheckpointError
from engine.checkpoints.loader import load_model
from engine.checkpoints.nvlabs_discriminator import load_discriminator
from engine.checkpoints.safe_unpickle import load_pickle

FIXTURES = (Path(__file__).parents[3] / ".." / "shared" / "fixtures").resolve()
pytestmark = pytest.mark.skipif(not FIXTURES.is_dir(), reason=f"parity fixtures not found at {FIXTURES}")
CASES = [
    "nvlabs_stylegan3/stylegan3t_uncond_res32",
    "nvlabs_stylegan3/stylegan3r_cond5_res32",
    "nvlabs_stylegan2_ada/stylegan2ada_uncond_res32",
    "nvlabs_stylegan2_ada/stylegan2ada_cond10_res32",
]


@torch.no_grad()
@pytest.mark.parametrize("rel", CASES)
def test_logits_match(rel: str) -> None:
    path = FIXTURES / f"{rel}.pkl"
    d, spec = load_discriminator(path, load_pickle(path)["D"])
    with np.load(FIXTURES / f"{rel}_io.npz") as f:
        img, c, logits = (torch.from_numpy(np.asarray(f[k])) for k in ("out_img_psi1", "in_c", "out_d_logits_psi1"))
    assert spec.channels == (64, 64, 64, 32) and spec.mbstd_group_size == 4 and spec.conv_clamp == 256
    assert spec.mapping_layers == (8 if spec.c_dim else 0)
    out = d(img, c if spec.c_dim else None)
    assert out.shape == logits.shape
    assert (out - logits).abs().max().item() <= 1e-5 * max(1.0, logits.abs().max().item())
    if spec.c_dim:
        with pytest.raises(ValueError, match="needs c"):
            d(img)


def test_stylegan3_config_takes_the_discriminator_of_the_file() -> None:
    """Config R doubles G's channel_base, not D's: the run's D layout must come from the pickle."""
    model = load_model(FIXTURES / "nvlabs_stylegan3/stylegan3r_cond5_res32.pkl")
    assert model.config.channel_base == 2048
    assert model.config.d_channels == (64, 64, 64, 32) and model.config.d_mapping_layers == 8


def test_refused_layouts() -> None:
    path = FIXTURES / "nvlabs_stylegan3/stylegan3t_uncond_res32.pkl"

    def skip_arch(d):
        d.state["_init_kwargs"]["architecture"] = "skip"

    def mbstd_channels(d):
        d.state["_init_kwargs"]["epilogue_kwargs"]["mbstd_num_channels"] = 2

    def odd_filter(d):
        d.state["_modules"]["b16"].state["_buffers"]["resample_filter"] = torch.ones(4, 4)

    def extra(d):
        d.state["_modules"]["b4"].state["_parameters"]["mystery"] = torch.zeros(3)

    for mutate, match in ((skip_arch, "'skip'"), (mbstd_channels, "several channels"), (odd_filter, "1,3,3,1"),
                          (extra, "mystery")):  # fmt: skip
        snap = load_pickle(path)
        mutate(snap["D"])
        with pytest.raises(CheckpointError, match=match):
            load_discriminator(path, snap["D"])
    with pytest.raises(CheckpointError, match="not an NVlabs Discriminator"):
        load_discriminator(path, load_pickle(path)["G"])
