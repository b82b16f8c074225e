"""``latentlab bench train``: a timed training step on synthetic data."""

from __future__ import annotations

import json

import pytest

from app.cli import main as cli_main
from training.bench import bench_train, preset_for


def test_preset_for_family_and_name():
    assert preset_for("stylegan2").name == "emoji-stylegan2"
    assert preset_for("dcgan", tiny=True).name.startswith("tiny-")
    assert preset_for("fmnist-vae").family == "vae"
    with pytest.raises(ValueError, match="no preset"):
        preset_for("nosuch")


def test_bench_train_tiny_labelled():
    r = bench_train("tiny-cdcgan", batch=4, steps=2, warmup=1, device="cpu")
    assert r.family == "dcgan" and r.batch == 4 and r.steps == 2
    assert r.images_per_s > 0 and r.ms_per_step > 0
    assert r.images_per_s == pytest.approx(r.steps * r.batch / r.seconds, rel=1e-2)


@pytest.mark.parametrize("preset", ["tiny-cyclegan", "tiny-stargan"])
def test_bench_train_translation_kinds(preset):
    r = bench_train(preset, steps=1, warmup=0, device="cpu", threads=1)
    assert r.preset == preset and r.images_per_s > 0


def test_cli_json_and_errors(capsys):
    assert cli_main(["bench", "train", "dcgan", "--tiny", "--batch", "2", "--steps", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["benchmark"] == "train" and doc["preset"] == "tiny-dcgan" and doc["batch"] == 2
    assert cli_main(["bench", "train", "nosuch"]) == 2
    assert "no preset for 'nosuch'" in capsys.readouterr().err
    assert cli_main(["bench", "train", "dcgan", "--tiny", "--steps", "0"]) == 2
