"""Bundling a pSp encoder run: a grid of inputs next to their reconstructions, reconstruction errors
next to the do-nothing baseline (the decoder's average image)."""

from __future__ import annotations

import pytest
from PIL import Image

from engine import zoo
from training.bundle import bundle
from training.loop import TrainOptions, run
from training.presets import get_preset


class Quiet:
    def emit(self, event, **fields):
        return {"event": event, **fields}


def test_bundle_encoder_run(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATENTLAB_THREADS", "1")
    p = get_preset("tiny-psp")
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
        preset=p.name,
    )
    run(opts, Quiet())
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "data").symlink_to(zoo.data_path("emoji64.npz").parent)  # the demo data, read-only
    monkeypatch.setenv("LATENTLAB_ASSETS", str(assets))
    entry = bundle(tmp_path / "run", "test-psp")
    rec = entry["quality"]["reconstruction"]
    for kind in ("data", "generated"):
        assert rec[kind]["images"] == 512
        assert 0 < rec[kind]["mse_per_pixel"] < 1 and 0 < rec[kind]["average_image_mse_per_pixel"] < 1
    assert "metrics" not in entry  # the decoder's FID is its own model's
    w, h = Image.open(assets / entry["sample_grid"]).size
    assert (w, h) == (8 * p.resolution, 4 * p.resolution)  # 16 inputs with their 16 reconstructions
