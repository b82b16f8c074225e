"""Classic GAN trainer: every loss trains a few steps (finite, parameters move), GP, clipping, labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from engine.checkpoints.native import load_native
from engine.models.dcgan import DCGANConfig
from engine.models.mlp_gan import MLPGANConfig
from training.data import DataError, open_dataset
from training.loop import TrainOptions, run
from training.presets import PRESETS
from training.trainers import make_trainer
from training.trainers.gan import GANHparams, GANTrainer, gradient_penalty

CPU = torch.device("cpu")
MLP = {"resolution": 8, "img_channels": 1, "z_dim": 8, "g_hidden": [16, 32], "d_hidden": [32, 16]}
CONV = {"resolution": 16, "img_channels": 1, "z_dim": 8, "ngf": 8, "ndf": 8}


def _batch(n: int = 8, res: int = 8, labels: bool = False) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    out = {"image": torch.rand(n, 1, res, res, generator=g) * 2 - 1}
    if labels:
        out["label"] = torch.arange(n) % 3
    return out


def _params(m: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten().clone() for p in m.parameters()])


@pytest.mark.parametrize(
    ("family", "model", "loss"),
    [
        ("gan", MLP, "nonsaturating"),
        ("gan", MLP, "minimax"),
        ("gan", {**MLP, "c_dim": 3}, "nonsaturating"),
        ("dcgan", CONV, "nonsaturating"),
        ("dcgan", {**CONV, "c_dim": 3}, "nonsaturating"),
        ("dcgan", CONV, "wgan-cp"),
        ("dcgan", {**CONV, "d_norm": "layer"}, "wgan-gp"),
    ],
)
def test_losses_train(family, model, loss):
    torch.manual_seed(0)
    t = make_trainer(family, model, {"loss": loss}, CPU)
    conditional = model.get("c_dim", 0) > 0
    assert t.data_kind == ("labelled" if conditional else "images")
    g0, d0 = _params(t.G), _params(t.D)
    batch = _batch(res=model["resolution"], labels=conditional)
    seen: set[str] = set()
    for step in range(t.n_critic):
        out = t.step(batch, step)
        assert all(torch.isfinite(torch.as_tensor(v)) for v in out.values())
        seen |= set(out)
    assert "loss_G" in seen and "loss_D" in seen
    assert not torch.equal(_params(t.D), d0) and not torch.equal(_params(t.G), g0)
    model_out = t.export_model()
    z = model_out.sample_z([0, 1])
    c = model_out.one_hot([0, 1], 2) if conditional else None
    img = model_out.generate(z, c)
    assert img.shape == (2, 1, model["resolution"], model["resolution"]) and img.abs().max() <= 1


def test_generator_updates_every_n_critic():
    t = make_trainer("dcgan", CONV, {"loss": "wgan-cp"}, CPU)
    assert t.n_critic == 5 and isinstance(t.opt_D, torch.optim.RMSprop)
    g0 = _params(t.G)
    for step in range(4):
        assert "loss_G" not in t.step(_batch(res=16), step)
    assert torch.equal(_params(t.G), g0)
    assert "loss_G" in t.step(_batch(res=16), 4)


def test_weight_clipping_bounds_the_critic():
    t = make_trainer("dcgan", CONV, {"loss": "wgan-cp", "clip": 0.01, "lr": 0.5}, CPU)
    t.step(_batch(res=16), 0)
    assert max(p.abs().max().item() for p in t.D.parameters()) <= 0.01 + 1e-7


def test_defaults_follow_the_papers():
    gp = make_trainer("dcgan", {**CONV, "d_norm": "layer"}, {"loss": "wgan-gp"}, CPU)
    assert gp.n_critic == 5 and gp.opt_D.defaults["lr"] == 1e-4 and gp.opt_D.defaults["betas"] == (0.0, 0.9)
    dc = make_trainer("dcgan", CONV, {}, CPU)
    assert dc.n_critic == 1 and dc.opt_G.defaults["lr"] == 2e-4 and dc.opt_G.defaults["betas"] == (0.5, 0.999)
    with pytest.raises(ValueError, match="without batch norm"):
        make_trainer("dcgan", CONV, {"loss": "wgan-gp"}, CPU)
    with pytest.raises(ValueError, match="loss must be one of"):
        GANHparams(loss="hinge")


class Linear(nn.Module):
    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return (x.flatten(1) * self.w).sum(1)


def test_gradient_penalty_of_a_linear_critic():
    w = torch.tensor([3.0, 4.0, 0.0, 0.0])  # gradient norm 5 everywhere
    real, fake = torch.randn(6, 1, 2, 2), torch.randn(6, 1, 2, 2)
    assert gradient_penalty(Linear(w), real, fake, None).item() == pytest.approx(16.0)
    unit = Linear(torch.tensor([0.6, 0.8, 0.0, 0.0]))
    assert gradient_penalty(unit, real, fake, None).item() == pytest.approx(0.0, abs=1e-10)


def test_nonsaturating_and_minimax_generator_losses_differ_as_in_the_notes():
    """For a confident discriminator (D(G(z)) ≈ 0), log(1 − D) is flat while −log D is steep."""
    logit = torch.tensor([-8.0], requires_grad=True)
    minimax = -torch.nn.functional.softplus(logit).mean()  # log(1 - sigmoid)
    (g_mm,) = torch.autograd.grad(minimax, logit)
    nonsat = torch.nn.functional.softplus(-logit).mean()
    (g_ns,) = torch.autograd.grad(nonsat, logit)
    assert abs(g_mm.item()) < 1e-3 and abs(g_ns.item()) > 0.99


def test_precise_bn_makes_eval_match_training_statistics():
    torch.manual_seed(0)
    t = make_trainer("dcgan", CONV, {"precise_bn_batches": 8}, CPU)
    for step in range(3):
        t.step(_batch(res=16), step)
    g = t.export_model().module
    bn = g.input_norm
    assert bn.num_batches_tracked.item() == 8 and float(bn.running_var.mean()) > 0


def _labelled_npz(tmp_path: Path, classes: int = 3, res: int = 8) -> Path:
    rng = np.random.default_rng(0)
    labels = np.arange(30) % classes
    images = (labels[:, None, None, None] * 80 + rng.integers(0, 40, (30, res, res, 1))).astype(np.uint8)
    path = tmp_path / "data.npz"
    np.savez(path, images=images, labels=labels, class_names=np.array([f"k{i}" for i in range(classes)]))
    return path


def test_conditional_run_keeps_class_names(tmp_path):
    data = _labelled_npz(tmp_path)
    opts = TrainOptions(
        family="gan",
        data=str(data),
        resolution=8,
        channels=1,
        out=str(tmp_path / "run"),
        batch=6,
        max_steps=4,
        checkpoint_every=0,
        sample_every=0,
        log_every=2,
        model={**MLP, "c_dim": 3},
        hparams={"loss": "minimax"},
    )
    path = run(opts, events=_Quiet())
    model = load_native(path)
    assert model.capabilities.classes == ("k0", "k1", "k2") and model.capabilities.task == "conditional"
    assert model.meta["provenance"]["hparams"] == {"loss": "minimax"}


def test_conditional_run_refuses_unlabelled_or_mismatched_data(tmp_path):
    data = _labelled_npz(tmp_path, classes=3)
    opts = TrainOptions(
        family="gan",
        data=str(data),
        resolution=8,
        channels=1,
        out=str(tmp_path / "run"),
        batch=6,
        max_steps=2,
        model={**MLP, "c_dim": 5},
    )
    with pytest.raises(DataError, match="5 classes but the data has 3"):
        run(opts, events=_Quiet())
    np.savez(tmp_path / "plain.npz", images=np.zeros((4, 8, 8, 1), np.uint8))
    with pytest.raises(DataError, match="no class labels"):
        open_dataset(tmp_path / "plain.npz", 8, 1, labelled=True)


def test_presets_build():
    for name, p in PRESETS.items():
        if p.family in ("gan", "dcgan", "vae"):
            model = {"resolution": p.resolution, "img_channels": p.channels, **p.model}
            t = make_trainer(p.family, model, p.hparams, CPU)
            assert t.family == p.family, name
    assert isinstance(make_trainer("gan", MLP, {}, CPU), GANTrainer)
    assert DCGANConfig(**{k: v for k, v in CONV.items()}).depth == 1 and MLPGANConfig().z_dim == 100


class _Quiet:
    def emit(self, event, **fields):
        return {"event": event, **fields}
