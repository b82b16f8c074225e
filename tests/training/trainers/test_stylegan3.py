"""StyleGAN3 trainer: steps train G, D and the magnitude EMAs; tiny preset; fine-tuning from an NVlabs pickle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from engine.checkpoints.loader import load_model
from engine.checkpoints.native import load_native
from training.data import DataError
from training.presets import PRESETS
from training.run import main as train_main
from training.trainers import make_trainer, trainer_names

CPU = torch.device("cpu")
FIXTURES = (Path(__file__).parents[3] / ".." / "shared" / "fixtures").resolve()
SG3 = FIXTURES / "nvlabs_stylegan3"


def _params(m: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten().clone() for p in m.parameters()])


def _tiny_model() -> dict:
    p = PRESETS["tiny-stylegan3"]
    return {"resolution": p.resolution, "img_channels": p.channels, **p.model}


def test_steps_train_and_export():
    torch.manual_seed(0)
    assert "stylegan3" in trainer_names() and PRESETS["tiny-stylegan3"].family == "stylegan3"
    t = make_trainer("stylegan3", _tiny_model(), {"r1_interval": 2}, CPU)
    assert t.hp.pl_weight == 0 and t.hp.style_mixing_prob == 0  # NVlabs' StyleGAN3 defaults
    batch = {"image": torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1}
    g0, d0, ema0 = _params(t.G), _params(t.D), _params(t.G_ema)
    mags0 = torch.stack([layer.magnitude_ema.clone() for layer in t.G.synthesis.layers])
    seen: set[str] = set()
    for step in range(3):
        out = t.step(batch, step)
        seen |= set(out)
        assert all(torch.isfinite(v) for v in out.values())
    assert {"G", "D", "D_r1"} <= seen and "G_pl" not in seen
    assert not torch.equal(g0, _params(t.G)) and not torch.equal(d0, _params(t.D))
    assert not torch.equal(ema0, _params(t.G_ema))
    mags = torch.stack([layer.magnitude_ema for layer in t.G.synthesis.layers])
    assert (mags != mags0).all()  # every layer's input magnitude is tracked ...
    assert torch.equal(torch.stack([layer.magnitude_ema for layer in t.G_ema.synthesis.layers]), mags)  # ... in G_ema
    model = t.export_model()
    assert model.family == "stylegan3" and model.capabilities.input_transform
    with torch.no_grad():
        assert model.generate(model.sample_z([0])).shape == (1, 3, 16, 16)


def test_path_length_regulariser_still_available():
    torch.manual_seed(1)
    t = make_trainer("stylegan3", _tiny_model(), {"pl_weight": 2.0, "pl_interval": 1}, CPU)
    out = t.step({"image": torch.zeros(4, 3, 16, 16)}, 1)
    assert "G_pl" in out and torch.isfinite(out["G_pl"])


def test_tiny_preset_runs_end_to_end(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["--preset", "tiny-stylegan3", "--max-steps", "2", "--batch", "2", "--checkpoint-every", "2"]
    assert train_main([*args, "--sample-every", "0", "--out", str(out)]) == 0
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    assert events[-1]["event"] == "done"
    model = load_native(out / "model.safetensors")
    assert model.family == "stylegan3" and model.config.num_layers == 4


@pytest.mark.skipif(not SG3.is_dir(), reason=f"parity fixtures not found at {SG3}")
def test_finetune_from_nvlabs_pickle(tmp_path, capsys):
    src = SG3 / "stylegan3t_uncond_res32.pkl"
    out = tmp_path / "ft"
    args = ["--init", str(src), "--data", "demo:emoji", "--max-steps", "1", "--batch", "2"]
    assert train_main([*args, "--sample-every", "0", "--checkpoint-every", "1", "--out", str(out)]) == 0
    events = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    init = next(e for e in events if e["event"] == "init")
    assert init["loaded"] == ["G", "G_ema", "D"] and init["D"] == "loaded" and init["kind"] == "pickle"
    state = torch.load(next(out.glob("ckpt-*.pt")), weights_only=True)["trainer"]
    ref = load_model(src).module.state_dict()
    # G_ema moved by at most one EMA step from the pickle's G_ema; G itself took an optimiser step.
    assert state["G_ema"].keys() == ref.keys()
    assert torch.equal(state["G_ema"]["synthesis.layers.3.up_filter"], ref["synthesis.layers.3.up_filter"])
    assert not torch.equal(state["G"]["synthesis.layers.3.weight"], ref["synthesis.layers.3.weight"])
    # A conditional pickle refuses data whose classes do not match, in one line.
    cond = SG3 / "stylegan3r_cond5_res32.pkl"
    t = make_trainer("stylegan3", {**load_model(cond).config.__dict__}, {}, CPU)
    from training.data import open_dataset

    with pytest.raises(DataError, match="5 classes but the data has 8"):
        t.attach_data(open_dataset("demo:emoji", 32, 3, labelled=True))


@pytest.mark.skipif(not SG3.is_dir(), reason=f"parity fixtures not found at {SG3}")
def test_init_loads_the_pickles_discriminator():
    from engine.checkpoints.nvlabs_discriminator import load_discriminator
    from engine.checkpoints.safe_unpickle import load_pickle
    from training.finetune import init_spec

    src = SG3 / "stylegan3r_cond5_res32.pkl"
    spec = init_spec(str(src))
    t = make_trainer("stylegan3", {"resolution": 32, "img_channels": 3, **spec["model"]}, {}, CPU)
    report = t.init_from(str(src))
    assert report["D"] == "loaded" and report["fresh"] == []
    ref, _ = load_discriminator(src, load_pickle(src)["D"])
    for k, v in ref.state_dict().items():
        assert torch.equal(t.D.state_dict()[k], v), k
    # A run whose D differs from the file's keeps a fresh D and says why.
    other = make_trainer(
        "stylegan3", {"resolution": 32, "img_channels": 3, **spec["model"], "d_channels": [32] * 4}, {}, CPU
    )
    report = other.init_from(str(src))
    assert report["D"].startswith("fresh (") and "does not match" in report["D"]
