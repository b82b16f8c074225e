"""VAE trainer: ELBO terms, KL warm-up, stored principal directions at export."""

from __future__ import annotations

import numpy as np
import torch

from engine.models.vae import kl_divergence
from training.data import open_dataset
from training.trainers import make_trainer

CPU = torch.device("cpu")
MODEL = {"resolution": 16, "img_channels": 1, "z_dim": 4, "channels": [8, 16], "num_directions": 2}


def test_vae_trains_and_stores_directions(tmp_path):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", images=rng.integers(0, 256, (40, 16, 16, 1)).astype(np.uint8))
    ds = open_dataset(tmp_path / "d.npz", 16, 1)
    t = make_trainer("vae", MODEL, {"kl_warmup": 4, "direction_images": 40}, CPU)
    t.attach_data(ds)
    before = [p.detach().clone() for p in t.net.parameters()]
    g = torch.Generator().manual_seed(0)
    losses = [t.step(ds.sample(8, g), s) for s in range(5)]
    for out in losses:
        assert all(torch.isfinite(v) for v in out.values())
        assert out["loss"].item() >= out["recon"].item()  # KL ≥ 0 and β ≥ 0
    assert any(not torch.equal(a, b) for a, b in zip(before, t.net.parameters()))
    model = t.export_model()
    assert model.capabilities.latent_directions == 2 and model.capabilities.encodes_into == "z"
    comps, std = model.latent_directions()
    assert comps.shape == (2, 4) and torch.allclose(comps @ comps.T, torch.eye(2), atol=1e-5)
    assert std[0] >= std[1] > 0
    x = next(ds.iterate(4))["image"]
    assert model.reconstruct(x).shape == x.shape


def test_kl_matches_closed_form():
    mu, logvar = torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, float(np.log(4.0))]])
    expected = 0.5 * (4.0 + 1.0 - 1.0 - np.log(4.0))  # dim 1: N(0, 1) costs 0; dim 2: σ² = 4, μ = 1
    assert abs(kl_divergence(mu, logvar).item() - expected) < 1e-5
