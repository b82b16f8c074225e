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


def test_cli_preset_hparams_and_breakdown(capsys):
    args = ["bench", "train", "stylegan2", "--preset", "tiny-stylegan2", "--steps", "4", "--warmup", "0"]
    hp = '{"channels_last": true, "r1_interval": 2}'
    assert cli_main([*args, "--threads", "1", "--hparams", hp, "--breakdown", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["preset"] == "tiny-stylegan2" and doc["hparams"]["channels_last"] is True
    parts = doc["breakdown"]
    assert {"data", "G", "G_pl", "G_opt", "D", "D_r1", "D_opt", "EMA"} <= set(parts)
    assert parts["G"]["calls"] == 4 and parts["D_r1"]["calls"] == 2  # steps 0..3, R1 every 2nd
    total = sum(v["ms_per_step"] for v in parts.values())
    assert total == pytest.approx(doc["ms_per_step"], rel=0.05)  # the parts add up to the step
    assert cli_main([*args, "--threads", "1", "--breakdown"]) == 0
    assert "ms/step" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--preset", "nosuch"], "unknown preset 'nosuch'"),
        (["dcgan", "--preset", "tiny-stylegan2"], "is a stylegan2 preset, not dcgan"),
        (["--preset", "tiny-stylegan2", "--hparams", "{bad"], "--hparams is not JSON"),
        (["--preset", "tiny-stylegan2", "--hparams", "[1]"], "--hparams must be a JSON object"),
        (["--preset", "tiny-stylegan2", "--hparams", '{"nosuch": 1}'], "unknown hyper-parameters"),
        ([], "give a FAMILY or --preset NAME"),
    ],
)
def test_cli_preset_errors(capsys, extra, message):
    assert cli_main(["bench", "train", *extra, "--steps", "1", "--warmup", "0"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
