"""StyleGAN2 speed settings (channels-last, bf16 autocast, torch.compile) and ADA: same results up to
rounding, exact resume with each of them on, ADA's probability moving the right way."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from training import speed
from training.augment import AdaptiveAugment, diff_augment
from training.loop import TrainOptions, checkpoints, run
from training.trainers import make_trainer

CPU = torch.device("cpu")
TINY = {"z_dim": 16, "w_dim": 16, "mapping_layers": 2, "channels": [16, 16, 8]}
FAST = {"channels_last": True, "bf16": True}
ADA = {"diffaugment": "color,translation,cutout", "ada_target": 0.6, "ada_interval": 1, "ada_kimg": 0.1}


class Quiet:
    def emit(self, event, **fields):
        return {"event": event, **fields}


def _opts(out: Path, steps: int, hparams: dict) -> TrainOptions:
    return TrainOptions(
        family="stylegan2",
        data="demo:emoji",
        resolution=16,
        out=str(out),
        batch=4,
        max_steps=steps,
        checkpoint_every=2,
        sample_every=0,
        log_every=1,
        model=TINY,
        hparams={"r1_interval": 2, "pl_interval": 2, **hparams},
    )


def _last(run_dir: Path) -> dict:
    return torch.load(checkpoints(run_dir)[-1][1], weights_only=True)["trainer"]


def _assert_resume_exact(tmp_path: Path, hparams: dict) -> dict:
    run(_opts(tmp_path / "full", 4, hparams), Quiet())
    run(_opts(tmp_path / "part", 2, hparams), Quiet())
    run(_opts(tmp_path / "part", 4, hparams), Quiet(), resume=True)
    a, b = _last(tmp_path / "full"), _last(tmp_path / "part")
    for net in ("G", "D", "G_ema"):
        for k in a[net]:
            torch.testing.assert_close(a[net][k], b[net][k], rtol=0, atol=0, msg=f"{net}.{k}")
    return a


def test_resume_is_exact_with_channels_last_bf16_and_ada(tmp_path):
    state = _assert_resume_exact(tmp_path, {**FAST, **ADA})
    assert 0 < float(state["ada"]["p"]) <= 1  # D is confident on reals at first, so p went up


@pytest.mark.slow
def test_resume_is_exact_with_compile(tmp_path, monkeypatch):
    """The compiled main passes (aot_eager here: the same graphs without code generation) resume exactly."""
    monkeypatch.setattr(speed, "COMPILE_BACKEND", "aot_eager")
    _assert_resume_exact(tmp_path, {**FAST, "compile": True})


def _first_step(hparams: dict) -> tuple[dict, torch.Tensor]:
    torch.manual_seed(0)
    t = make_trainer("stylegan2", {"resolution": 16, "img_channels": 3, **TINY}, hparams, CPU)
    batch = {"image": torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1}
    losses = t.step(batch, 1)
    return {k: float(v) for k, v in losses.items()}, torch.cat([p.detach().flatten() for p in t.G.parameters()])


def test_speed_settings_change_results_by_rounding_only():
    base, g = _first_step({})
    cl, g_cl = _first_step({"channels_last": True})
    bf, g_bf = _first_step(FAST)
    assert set(base) == set(cl) == set(bf) == {"G", "D"}
    for k in base:
        assert cl[k] == pytest.approx(base[k], rel=1e-4)
        assert bf[k] == pytest.approx(base[k], rel=0.05)
    torch.testing.assert_close(g_cl, g, rtol=1e-4, atol=1e-5)
    assert not torch.equal(g_bf, g)  # bf16 did run (rounding differs) ...
    torch.testing.assert_close(g_bf, g, rtol=0, atol=0.01)  # ... and one Adam step moves by ~lr at most


def test_settings_are_checked():
    with pytest.raises(ValueError, match="ada_target needs"):
        make_trainer("stylegan2", {"resolution": 16, **TINY}, {"ada_target": 0.6}, CPU)
    with pytest.raises(ValueError, match=r"ada_target must be in \[0, 1\)"):
        make_trainer("stylegan2", {"resolution": 16, **TINY}, {"ada_target": 1.5, "diffaugment": "color"}, CPU)


def test_compile_failure_falls_back_to_eager(monkeypatch, caplog):
    def failing_backend(gm, example_inputs):
        raise RuntimeError("no C++ compiler here")

    monkeypatch.setattr(speed, "COMPILE_BACKEND", failing_backend)
    torch._dynamo.reset()

    def double(x):
        return x * 2 + 1

    f = speed.Compiled(double, True, "double")
    with caplog.at_level("WARNING", logger="training.speed"):
        assert f(torch.ones(2)).tolist() == [3.0, 3.0]
    assert f.compiled is None and "running it eagerly" in caplog.text
    assert f(torch.zeros(1)).tolist() == [1.0]
    assert speed.Compiled(double, False, "double")(torch.ones(2)).tolist() == [3.0, 3.0]


def test_ada_probability_follows_the_sign_of_d_on_reals():
    ada = AdaptiveAugment(target=0.6, speed_kimg=1.0, interval=2, device=CPU)
    ada.observe(torch.ones(8))  # D sure that every real is real: r_t = 1 > 0.6
    ada.update(step=0, batch=8)
    assert float(ada.p) == 0  # adjusted every second step only
    ada.observe(torch.ones(8))
    ada.update(step=1, batch=8)
    assert float(ada.p) == pytest.approx(16 / 1000)  # batch * interval / (speed_kimg * 1000)
    state = ada.state_dict()
    for _ in range(2):
        ada.observe(-torch.ones(8))  # r_t = -1 < 0.6: p goes down, and stops at 0
    ada.update(step=3, batch=8)
    assert float(ada.p) == 0
    ada.load_state_dict(state)
    assert float(ada.p) == pytest.approx(16 / 1000)
    with pytest.raises(ValueError, match="target"):
        AdaptiveAugment(target=1.0, speed_kimg=1.0, interval=1, device=CPU)


def test_diff_augment_probability_zero_and_one():
    x = torch.rand(6, 3, 8, 8) * 2 - 1
    torch.testing.assert_close(diff_augment(x, "color,translation,cutout", p=0.0), x)
    y = diff_augment(x, "cutout", p=1.0)
    assert ((y == 0).flatten(1).sum(1) >= 12).all()  # every image got its hole (4x4, 2x2 at least in a corner)
    z = diff_augment(x, "color", p=torch.tensor(0.5))
    assert z.shape == x.shape and not torch.equal(z, x)
