"""Optimiser projection into W / W+: the loss decreases, generated images are recovered, jobs cancel."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from engine.families import LoadedModel, get_family
from engine.latent.project import ProjectConfig, noise_regularizer, project, project_steps
from engine.latent.recon_loss import ReconstructionLoss, bundled_feature_net
from engine.runtime import Engine


@pytest.fixture
def model() -> LoadedModel:
    torch.manual_seed(0)
    fam = get_family("stylegan2")
    m = fam.new(fam.tiny_config())
    with torch.no_grad():
        m.module.mapping.w_avg.copy_(m.map(torch.randn(2000, 16))[:, 0].mean(0))
    return m


def _target(model: LoadedModel, seed: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        ws = model.map(model.sample_z([seed]))
        return ws, model.synthesize(ws)


def test_loss_decreases_in_wplus(model):
    _, target = _target(model)
    losses: list[float] = []
    res = project(
        model, target, ProjectConfig(steps=60, space="wplus", preview_every=5), lambda im, s, loss: losses.append(loss)
    )
    assert len(losses) == 60 // 5 + 1
    assert losses[-1] < 0.5 * losses[0]
    assert res.ws.shape == (1, 6, 16) and res.image.shape == (16, 16, 3) and res.image.dtype == np.uint8
    assert not torch.allclose(res.ws[:, 0], res.ws[:, -1])  # W+ layers move independently


def test_projecting_a_generated_image_recovers_it(model):
    ws_true, target = _target(model)
    with torch.no_grad():
        start_err = (model.synthesize(model.w_avg.expand(1, 6, 16)) - target).abs().mean().item()
    res = project(model, target, ProjectConfig(steps=300, space="w", optimize_noise=False))
    assert torch.allclose(res.ws[:, 0], res.ws[:, -1])  # one w for every layer
    with torch.no_grad():
        err = (model.synthesize(res.ws) - target).abs().mean().item()
    assert start_err > 0.3
    assert err < 0.01, f"reconstruction error {err}"


def test_noise_is_optimised_on_a_copy(model):
    for layer in model.module.synthesis.layers:
        layer.noise_strength.data.fill_(0.5)
    before = {n: b.clone() for n, b in model.module.named_buffers() if n.endswith("noise_const")}
    _, target = _target(model, 9)
    res = project(model, target, ProjectConfig(steps=20, space="wplus"))
    assert res.noise is not None and set(res.noise) == set(before)
    for n, b in model.module.named_buffers():
        if n in before:
            assert torch.equal(b, before[n])
    assert any(not torch.equal(res.noise[n], before[n]) for n in before)
    for v in res.noise.values():  # renormalised every step
        assert abs(float(v.mean())) < 1e-4 and abs(float(v.square().mean()) - 1) < 1e-3


def test_noise_regularizer_penalises_correlated_noise():
    gen = torch.Generator().manual_seed(0)
    white = {"a": torch.randn(32, 32, generator=gen)}
    smooth = {"a": torch.nn.functional.avg_pool2d(torch.randn(1, 1, 35, 35, generator=gen), 4, 1)[0, 0]}
    smooth["a"] = (smooth["a"] - smooth["a"].mean()) / smooth["a"].std()
    assert noise_regularizer(smooth) > 100 * noise_regularizer(white)


def test_reconstruction_loss_terms():
    loss = ReconstructionLoss(features=bundled_feature_net(1, 32))
    x = torch.rand(2, 1, 32, 32) * 2 - 1
    assert torch.equal(loss(x, x), torch.zeros(2))
    terms = loss.terms(x, x.flip(0))
    if loss.features is not None:
        assert "features" in terms
    assert all(float(v.min()) > 0 for v in terms.values())
    with pytest.raises(ValueError):
        loss(x, x[:, :, :16])


def test_bad_inputs(model):
    with pytest.raises(ValueError, match="target"):
        project(model, torch.zeros(1, 3, 8, 8), ProjectConfig(steps=1))
    with pytest.raises(ValueError, match="space"):
        ProjectConfig(space="z")
    fam = get_family("dcgan")
    with pytest.raises(ValueError, match="W space"):
        project(fam.new(fam.tiny_config()), torch.zeros(1, 3, 16, 16), ProjectConfig(steps=1))


def test_projection_job_on_the_engine_previews_and_cancels(tiny_stylegan2_path):
    """On the engine thread (models built under inference mode) the job runs, previews, and cancels."""
    with Engine(device="cpu") as engine:
        engine.load_sync(tiny_stylegan2_path, "tiny", timeout=60)
        target = engine.call(
            lambda ctx: ctx.model("tiny").synthesize(ctx.model("tiny").map(ctx.model("tiny").sample_z([3])))
        )
        previews: list[tuple[int, float]] = []
        enough = threading.Event()

        def on_preview(image, step, loss):
            assert image.shape == (16, 16, 3)
            previews.append((step, loss))
            if len(previews) >= 3:
                enough.set()

        cfg = ProjectConfig(steps=10_000, preview_every=2, w_std_samples=256)
        h = engine.submit_job("project", lambda ctx: project_steps(ctx.model("tiny"), target, cfg, on_preview))
        assert enough.wait(60)
        h.cancel()
        out = h.wait(60)
        assert out.cancelled
        assert [s for s, _ in previews[:3]] == [2, 4, 6] and all(np.isfinite(loss) for _, loss in previews)
        assert len(previews) < 5000
