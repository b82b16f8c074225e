"""Bundling runs into assets/: a translation run (grid of inputs and translations, quality numbers, sample
inputs for new users) and a pSp encoder run (inputs next to their reconstructions, reconstruction errors
next to the decoder's average image)."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from engine import zoo
from engine.checkpoints.native import load_native
from training.bundle import bundle
from training.loop import TrainOptions, run
from training.presets import get_preset


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    """The loop sizes torch's thread pool to all cores; on a shared test machine one is faster."""
    monkeypatch.setenv("LATENTLAB_THREADS", "1")


class Quiet:
    def emit(self, event, **fields):
        return {"event": event, **fields}


def _tiny_run_and_assets(preset: str, tmp_path, monkeypatch):
    """Train ``preset`` for 2 steps and point LATENTLAB_ASSETS at an empty assets folder (demo data linked)."""
    p = get_preset(preset)
    opts = TrainOptions(
        family=p.family,
        data=p.data,
        resolution=p.resolution,
        out=str(tmp_path / "run"),
        batch=p.batch,
        max_steps=2,
        checkpoint_every=0,
        sample_every=0,
        model=p.model,
        hparams=p.hparams,
        preset=preset,
    )
    run(opts, Quiet())
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "data").symlink_to(zoo.data_path("emoji64.npz").parent)  # the demo data, read-only
    monkeypatch.setenv("LATENTLAB_ASSETS", str(assets))
    return p, assets


@pytest.mark.parametrize(
    ("preset", "key", "inputs"), [("tiny-cyclegan", "cycle_l1", 16), ("tiny-stargan", "reconstruction_l1", 8)]
)
def test_bundle_translation_run(preset, key, inputs, tmp_path, monkeypatch):
    p, assets = _tiny_run_and_assets(preset, tmp_path, monkeypatch)
    entry = bundle(tmp_path / "run", f"test-{p.family}")
    assert 0 <= entry["quality"][key] <= 1 and entry["quality"]["samples"] > 0
    assert len(entry["sample_inputs"]) == inputs and all((assets / s).is_file() for s in entry["sample_inputs"])
    model = load_native(assets / entry["path"])
    cols = 4 if p.family == "cyclegan" else 1 + len(model.capabilities.classes)
    w, h = Image.open(assets / entry["sample_grid"]).size
    assert (w, h) == (cols * p.resolution, 4 * p.resolution)
    assert json.loads((assets / "MANIFEST.json").read_text())["models"][f"test-{p.family}"]["family"] == p.family


def test_bundle_encoder_run(tmp_path, monkeypatch):
    p, assets = _tiny_run_and_assets("tiny-psp", tmp_path, monkeypatch)
    entry = bundle(tmp_path / "run", "test-psp")
    rec = entry["quality"]["reconstruction"]
    for kind in ("data", "generated"):
        assert rec[kind]["images"] == 512
        assert 0 < rec[kind]["mse_per_pixel"] < 1 and 0 < rec[kind]["average_image_mse_per_pixel"] < 1
    assert "metrics" not in entry  # the decoder's FID is its own model's
    w, h = Image.open(assets / entry["sample_grid"]).size
    assert (w, h) == (8 * p.resolution, 4 * p.resolution)  # 16 inputs with their 16 reconstructions


def test_encoder_reconstruction_of_a_set_smaller_than_n_uses_each_image_once():
    """A 346-image set (the default model's) with n=512: every real image once, 512 generated ones."""
    import types

    import torch

    from training.bundle import encoder_reconstruction

    class Identity:
        capabilities = types.SimpleNamespace(resolution=8)
        latent_avg = torch.zeros(3, 8, 8)

        def encode(self, x):
            return x

        def decode(self, ws):
            return ws

        def sample_z(self, seeds):
            return torch.tensor(list(seeds), dtype=torch.float32)

        def generate(self, z, _labels=None):
            return torch.rand(len(z), 3, 8, 8, generator=torch.Generator().manual_seed(0)) * 2 - 1

    data = types.SimpleNamespace(images=torch.randint(0, 256, (70, 8, 8, 3), dtype=torch.uint8).permute(0, 3, 1, 2))
    rec = encoder_reconstruction(Identity(), data, n=100, batch=32)
    assert rec["data"]["images"] == 70 and rec["generated"]["images"] == 100
    assert rec["data"]["mse_per_pixel"] == 0 and rec["data"]["average_image_mse_per_pixel"] > 0
