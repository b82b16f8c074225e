"""The Fashion-MNIST classifier trainer (tiny runs on a fake labelled .npz)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.metrics.classifier import load_classifier
from training import fashion_mnist
from training.classifier import augment
from training.presets import get_preset
from training.run import main


@pytest.fixture
def tiny_npz(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    labels = np.arange(24) % 3
    images = np.zeros((24, 8, 8, 1), np.uint8)
    for i, c in enumerate(labels):  # class = which third of the image is bright
        images[i, :, c * 2 : c * 2 + 3] = 200 + rng.integers(0, 50)
    path = tmp_path / "tiny.npz"
    np.savez(path, images=images, labels=labels, class_names=np.array(["left", "mid", "right"]))
    return path


def test_augment_shapes_and_identity() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(6, 1, 8, 8) * 2 - 1
    assert torch.equal(augment(x, 0, False, g), x)
    y = augment(x, 2, True, g)
    assert y.shape == x.shape and y.min() >= -1 and y.max() <= 1
    assert not torch.equal(y, x)
    one = torch.zeros(1, 1, 5, 5)
    one[0, 0, 2, 2] = 1.0
    shifted = augment(one, 1, False, torch.Generator().manual_seed(3))
    assert shifted.max() == 1.0 and (shifted == 1.0).sum() == 1  # one pixel moved by at most 1 px


def test_tiny_classifier_run(tiny_npz: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    argv = ["--family", "classifier", "--data", str(tiny_npz), "--resolution", "8", "--out", str(out)]
    rc = main([*argv, "--max-steps", "4", "--batch", "8", "--log-every", "2", "--device", "cpu"])
    assert rc == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["event"] for e in events] == ["start", "step", "step", "done"]
    assert "ce" in events[1]["losses"]
    model, doc = load_classifier(out / "classifier.safetensors")
    assert model.config.class_names == ("left", "mid", "right") and model.config.resolution == 8
    assert doc["info"]["steps"] == 4 and doc["info"]["test_accuracy"] is None
    assert (out / "events.jsonl").exists()
    assert main(["--resume", str(out)]) == 2
    assert "does not resume" in capsys.readouterr().err


def test_preset() -> None:
    p = get_preset("fmnist-classifier")
    assert p.family == "classifier" and p.data == "fmnist:train" and p.resolution == 32


@pytest.mark.skipif(not fashion_mnist.available(), reason="Fashion-MNIST IDX files not installed")
def test_bundled_classifier_is_accurate_on_a_test_slice() -> None:
    from engine import zoo
    from training.classifier import accuracy
    from training.data import open_dataset

    model, doc = load_classifier(zoo.feature_network("fmnist-classifier"))
    data = open_dataset("fmnist:test", 32, 1, labelled=True)
    data.images, data.labels = data.images[:1000], data.labels[:1000]
    assert accuracy(model, data, torch.device("cpu")) > 0.88
    assert doc["info"]["test_accuracy"] >= 0.9


def test_holdout_split_is_stratified_seeded_and_disjoint(tiny_npz: Path) -> None:
    from training.classifier import split_holdout
    from training.data import open_dataset

    data = open_dataset(tiny_npz, 8, 1, labelled=True)
    data.images[:, 0, 7, 7] = torch.arange(len(data), dtype=torch.uint8)  # every image unique
    train, held = split_holdout(data, 0.25, seed=0)
    assert len(train) + len(held) == len(data) and len(held) == 6
    assert torch.bincount(held.labels).tolist() == [2, 2, 2]  # 25 % of each class of 8
    again = split_holdout(data, 0.25, seed=0)[1]
    assert torch.equal(again.images, held.images)
    flat = {bytes(x.numpy()) + bytes([int(y)]) for x, y in zip(train.images, train.labels, strict=True)}
    assert not any(bytes(x.numpy()) + bytes([int(y)]) in flat for x, y in zip(held.images, held.labels, strict=True))
    with pytest.raises(ValueError, match="holdout"):
        split_holdout(data, 1.0, seed=0)


def test_tiny_classifier_run_with_holdout(tiny_npz: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    argv = ["--family", "classifier", "--data", str(tiny_npz), "--resolution", "8", "--out", str(out)]
    rc = main([*argv, "--max-steps", "6", "--batch", "8", "--device", "cpu", "--hparams", '{"holdout": 0.25}'])
    assert rc == 0
    _, doc = load_classifier(out / "classifier.safetensors")
    assert doc["info"]["test_accuracy"] is not None and "25% of each class held out" in doc["info"]["eval_data"]


def test_bundled_emoji_classifier_beats_chance_on_its_held_out_split() -> None:
    from engine import zoo
    from training.classifier import accuracy, split_holdout
    from training.data import open_dataset

    model, doc = load_classifier(zoo.feature_network("emoji-classifier"))
    data = open_dataset("demo:emoji", 64, 3, labelled=True)
    _, held = split_holdout(data, 0.15, seed=0)  # the split the preset trained without
    acc = accuracy(model, held, torch.device("cpu"))
    largest_class = torch.bincount(held.labels).max().item() / len(held)
    assert acc > largest_class + 0.2
    assert abs(acc - doc["info"]["test_accuracy"]) < 1e-6
