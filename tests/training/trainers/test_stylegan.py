"""StyleGAN (v1) trainer: a few steps on tiny data, finite losses, parameters move, R1 and mixing on."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from training.presets import PRESETS
from training.trainers import make_trainer

CPU = torch.device("cpu")
TINY = {"resolution": 16, "img_channels": 3, "z_dim": 16, "w_dim": 16, "mapping_layers": 2, "channels": [16, 16, 8]}


def _params(m: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten().clone() for p in m.parameters()])


def test_steps_train_and_export():
    torch.manual_seed(0)
    t = make_trainer("stylegan", TINY, {"r1_interval": 2}, CPU)
    assert t.hp.style_mixing_prob > 0 and t.hp.pl_weight == 0
    batch = {"image": torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1}
    g0, d0, ema0 = _params(t.G), _params(t.D), _params(t.G_ema)
    seen: set[str] = set()
    for step in range(3):
        out = t.step(batch, step)
        seen |= set(out)
        assert all(torch.isfinite(v) for v in out.values())
    assert {"G", "D", "D_r1"} <= seen and "G_pl" not in seen
    assert not torch.equal(g0, _params(t.G)) and not torch.equal(d0, _params(t.D))
    assert not torch.equal(ema0, _params(t.G_ema))
    model = t.export_model()
    assert model.family == "stylegan" and model.capabilities.noise_layers == 6
    with torch.no_grad():
        assert model.generate(model.sample_z([0])).shape == (1, 3, 16, 16)


def test_path_length_is_refused_and_presets_exist():
    with pytest.raises(ValueError, match="path-length"):
        make_trainer("stylegan", TINY, {"pl_weight": 2.0}, CPU)
    for name in ("emoji-stylegan", "tiny-stylegan"):
        assert PRESETS[name].family == "stylegan"
    a, b = PRESETS["emoji-stylegan"], PRESETS["emoji-stylegan2"]
    assert (a.data, a.resolution, a.batch, a.max_steps) == (b.data, b.resolution, b.batch, b.max_steps)
    assert a.model["mapping_layers"] == 8
