"""pSp trainer: the encoder learns against a frozen decoder; tiny-psp runs end to end."""

from __future__ import annotations

import numpy as np
import torch

from engine.checkpoints.native import load_native
from training.data import open_dataset
from training.loop import TrainOptions, run
from training.presets import PRESETS
from training.trainers import make_trainer

CPU = torch.device("cpu")


def _data(tmp_path, n=24):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", images=rng.integers(0, 256, (n, 16, 16, 3)).astype(np.uint8))
    return tmp_path / "d.npz"


def test_encoder_learns_and_decoder_stays_frozen(tmp_path):
    torch.manual_seed(0)
    ds = open_dataset(_data(tmp_path), 16, 3)
    preset = PRESETS["tiny-psp"]
    t = make_trainer("psp", {"resolution": 16, "img_channels": 3, **preset.model}, preset.hparams, CPU)
    t.attach_data(ds)
    enc0 = [p.detach().clone() for p in t.net.encoder.parameters()]
    dec0 = {k: v.clone() for k, v in t.net.decoder.state_dict().items()}
    g = torch.Generator().manual_seed(0)
    outs = [t.step(ds.sample(4, g), s) for s in range(4)]
    for out in outs:
        assert all(torch.isfinite(v) for v in out.values()) and {"loss", "recon", "code"} <= set(out)
    assert any(not torch.equal(a, b) for a, b in zip(enc0, t.net.encoder.parameters()))
    for k, v in t.net.decoder.state_dict().items():
        assert torch.equal(v, dec0[k]), k
    model = t.export_model()
    caps = model.capabilities
    assert caps.task == "encoder" and caps.encodes_into == "w+" and caps.image_input.size == 16
    assert torch.allclose(model.latent_avg[0], model.w_avg)
    grid = t.sample(list(range(8)))
    assert grid.shape == (16, 3, 16, 16) and torch.isfinite(grid).all()


def test_tiny_psp_preset_runs_and_exports(tmp_path):
    p = PRESETS["tiny-psp"]
    opts = TrainOptions(
        family=p.family,
        data=str(_data(tmp_path)),
        resolution=p.resolution,
        out=str(tmp_path / "run"),
        batch=4,
        max_steps=3,
        checkpoint_every=0,
        sample_every=0,
        device="cpu",
        model=p.model,
        hparams=p.hparams,
    )
    out = run(opts)
    model = load_native(out)
    assert model.family == "psp" and model.capabilities.w_space.num_ws == 6
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    assert model.decode(model.encode(x)).shape == (2, 3, 16, 16)


def test_emoji_psp_preset_targets_the_default_decoder_on_its_data():
    p = PRESETS["emoji-psp"]
    decoder = PRESETS[p.model["decoder"]]
    assert p.family == "psp" and p.model["decoder"] == "emoji-stylegan2-fhh" and p.resolution == 64
    assert (p.data, p.resolution) == (decoder.data, decoder.resolution)
