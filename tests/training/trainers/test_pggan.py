"""PGGAN trainer: growth schedule, a few steps at every phase, exact resume in the middle of a fade."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from engine.checkpoints.native import load_native
from training.loop import TrainOptions, checkpoints, run
from training.presets import PRESETS
from training.trainers import make_trainer
from training.trainers.pggan import real_at_level, schedule

CPU = torch.device("cpu")
TINY = {"resolution": 16, "img_channels": 3, "z_dim": 8, "channels": [16, 16, 8]}


class Quiet:
    def emit(self, event, **fields):
        return {"event": event, **fields}


def _params(m: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten().clone() for p in m.parameters()])


def test_schedule_fades_then_stabilises_each_level():
    got = [schedule(n, 3, stable_images=8, fade_images=4) for n in range(0, 40, 2)]
    assert got[:4] == [(0, 1.0)] * 4  # 4x4 stable for 8 images
    assert got[4:6] == [(1, 0.0), (1, 0.5)]  # 8x8 fades in over 4 images
    assert got[6:10] == [(1, 1.0)] * 4  # then is stable for 8
    assert got[10:12] == [(2, 0.0), (2, 0.5)]
    assert got[12:] == [(2, 1.0)] * 8  # the last level trains on


def test_real_images_are_pooled_and_faded():
    x = torch.rand(2, 3, 16, 16)
    assert real_at_level(x, 2, 1.0) is x
    lo = real_at_level(x, 1, 1.0)
    torch.testing.assert_close(lo, torch.nn.functional.avg_pool2d(x, 2))
    half = real_at_level(x, 1, 0.5)
    blur = torch.nn.functional.interpolate(torch.nn.functional.avg_pool2d(lo, 2), scale_factor=2)
    torch.testing.assert_close(half, (lo + blur) / 2)


def test_steps_through_every_phase_train_and_grow():
    torch.manual_seed(0)
    t = make_trainer("pggan", TINY, {"stable_images": 4, "fade_images": 4}, CPU)
    batch = {"image": torch.rand(4, 3, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1}
    g0, d0 = _params(t.G), _params(t.D)
    phases = []
    for step in range(6):
        out = t.step(batch, step)
        phases.append((out["level"], out["alpha"]))
        assert all(torch.isfinite(torch.as_tensor(v)) for v in out.values())
    assert phases == [(0, 1.0), (1, 0.0), (1, 1.0), (2, 0.0), (2, 1.0), (2, 1.0)]
    assert not torch.equal(g0, _params(t.G)) and not torch.equal(d0, _params(t.D))
    model = t.export_model()
    assert model.capabilities.progressive.levels == (4, 8, 16) and model.capabilities.progressive.alpha == 1.0
    with torch.no_grad():
        assert model.generate(model.sample_z([0, 1])).shape == (2, 3, 16, 16)


def _opts(out: Path, steps: int) -> TrainOptions:
    return TrainOptions(
        family="pggan",
        data="demo:emoji",
        resolution=16,
        out=str(out),
        batch=4,
        max_steps=steps,
        checkpoint_every=3,
        sample_every=0,
        log_every=1,
        model={"z_dim": 8, "channels": [16, 16, 8]},
        hparams={"stable_images": 8, "fade_images": 12},
    )


def test_resume_in_the_middle_of_a_fade_is_exact(tmp_path):
    # Steps 0-1: 4x4 stable (8 images); steps 2-4: 8x8 fades in (alpha 0, 1/3, 2/3); resume after step 3.
    run(_opts(tmp_path / "full", 6), Quiet())
    run(_opts(tmp_path / "part", 3), Quiet())
    mid = torch.load(checkpoints(tmp_path / "part")[-1][1], weights_only=True)
    assert schedule(mid["trainer"]["nimg"], 3, 8, 12) == (1, pytest.approx(1 / 3))
    run(_opts(tmp_path / "part", 6), Quiet(), resume=True)
    a = torch.load(checkpoints(tmp_path / "full")[-1][1], weights_only=True)
    b = torch.load(checkpoints(tmp_path / "part")[-1][1], weights_only=True)
    assert a["step"] == b["step"] == 6 and a["trainer"]["nimg"] == b["trainer"]["nimg"] == 24
    for net in ("G", "D", "G_ema"):
        for k in a["trainer"][net]:
            torch.testing.assert_close(a["trainer"][net][k], b["trainer"][net][k], rtol=0, atol=0, msg=f"{net}.{k}")
    model = load_native(tmp_path / "part" / "model.safetensors")
    assert model.capabilities.progressive.levels == (4, 8) and model.capabilities.progressive.alpha == 1.0


def test_presets_exist():
    for name in ("emoji-pggan", "tiny-pggan"):
        p = PRESETS[name]
        assert p.family == "pggan" and p.hparams["stable_images"] > 0 and p.hparams["fade_images"] > 0
    assert (PRESETS["emoji-pggan"].data, PRESETS["emoji-pggan"].resolution) == ("demo:emoji", 64)
