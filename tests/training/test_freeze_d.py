"""FreezeD (training/freeze_d.py): the first discriminator blocks stay fixed while the rest trains."""

from __future__ import annotations

import pytest
import torch

from training.trainers import make_trainer


def test_freeze_d_keeps_first_blocks_fixed():
    model = {
        "resolution": 16,
        "img_channels": 3,
        "z_dim": 16,
        "w_dim": 16,
        "mapping_layers": 2,
        "channels": [16, 16, 8],
    }
    hp = {"freeze_d": 1, "diffaugment": "color,translation,cutout", "r1_interval": 1, "pl_interval": 1}
    trainer = make_trainer("stylegan2", model, hp, torch.device("cpu"))
    before = {k: v.clone() for k, v in trainer.D.state_dict().items()}
    g_before = {k: v.clone() for k, v in trainer.G.state_dict().items()}
    torch.manual_seed(0)
    for step in range(2):
        losses = trainer.step({"image": torch.rand(4, 3, 16, 16) * 2 - 1}, step)
    assert {"G", "D", "D_r1", "G_pl"} <= set(losses)
    after = trainer.D.state_dict()
    frozen = [k for k in after if k.startswith("blocks.0.")]
    assert frozen and all(torch.equal(before[k], after[k]) for k in frozen)
    assert any(not torch.equal(before[k], after[k]) for k in after if k.startswith("blocks.1."))
    assert any(not torch.equal(g_before[k], v) for k, v in trainer.G.state_dict().items())
    with pytest.raises(ValueError, match="more than the discriminator"):
        make_trainer("stylegan2", model, {"freeze_d": 9}, torch.device("cpu"))
