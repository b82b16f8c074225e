"""Training data: folders of images of any size/mode, unreadable files, empty folders, the demo set."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import torch
from PIL import Image

from training.data import DataError, open_dataset


def test_folder_any_size_and_mode(tmp_path, caplog):
    Image.new("RGB", (40, 30), (255, 0, 0)).save(tmp_path / "a.png")
    Image.new("L", (17, 50), 128).save(tmp_path / "b.jpg")
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(tmp_path / "c.png")
    Image.new("P", (33, 33)).save(tmp_path / "d.gif")
    (tmp_path / "sub").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "sub" / "e.bmp")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    (tmp_path / "notes.txt").write_text("ignored")
    with caplog.at_level(logging.WARNING):
        ds = open_dataset(tmp_path, resolution=16)
    assert len(ds) == 5 and ds.summary.skipped == 1
    assert "skipped 1 unreadable" in caplog.text
    assert ds.images.shape == (5, 3, 16, 16) and ds.images.dtype == torch.uint8
    batch = ds.sample(4, torch.Generator().manual_seed(0))["image"]
    assert batch.shape == (4, 3, 16, 16) and batch.min() >= -1 and batch.max() <= 1
    assert open_dataset(tmp_path, resolution=8, channels=1).images.shape == (5, 1, 8, 8)


def test_centre_crop_keeps_middle(tmp_path):
    a = np.zeros((20, 60, 3), np.uint8)
    a[:, 20:40] = 255  # white middle third
    Image.fromarray(a).save(tmp_path / "wide.png")
    ds = open_dataset(tmp_path, resolution=20)
    assert ds.images.float().mean() > 250


def test_empty_and_missing(tmp_path):
    with pytest.raises(DataError, match="no images"):
        open_dataset(tmp_path, 16)
    with pytest.raises(DataError, match="does not exist"):
        open_dataset(tmp_path / "nope", 16)
    (tmp_path / "x.png").write_bytes(b"garbage")
    with pytest.raises(DataError, match="could be read"):
        open_dataset(tmp_path, 16)
    with pytest.raises(DataError, match="unknown demo"):
        open_dataset("demo:nothing", 16)


def test_demo_emoji():
    ds = open_dataset("demo:emoji", resolution=16)
    assert len(ds) > 1000 and ds.images.shape[1:] == (3, 16, 16)


def test_class_subfolders_are_labels(tmp_path):
    for cls, colour in (("cats", 10), ("dogs", 200)):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.new("L", (12, 12), colour + i).save(tmp_path / cls / f"{i}.png")
    ds = open_dataset(tmp_path, 8, 1, labelled=True)
    assert ds.class_names == ("cats", "dogs") and ds.labels.tolist() == [0, 0, 0, 1, 1, 1]
    batch = ds.sample(6, torch.Generator().manual_seed(0))
    dark = batch["image"].flatten(1).mean(1) < 0
    assert torch.equal(dark, batch["label"] == 0)


def test_labelled_refuses_unlabelled(tmp_path):
    Image.new("L", (12, 12)).save(tmp_path / "a.png")
    with pytest.raises(DataError, match="no class labels"):
        open_dataset(tmp_path, 8, 1, labelled=True)


def test_npz_with_labels(tmp_path):
    np.savez(tmp_path / "d.npz", images=np.zeros((4, 8, 8, 1), np.uint8), labels=np.array([0, 1, 2, 1]))
    ds = open_dataset(tmp_path / "d.npz", 8, 1, labelled=True)
    assert ds.class_names == ("class 0", "class 1", "class 2") and ds.labels.tolist() == [0, 1, 2, 1]


def test_emoji_demo_data_is_labelled_by_category() -> None:
    from training.data import open_dataset
    from training.demo_data import EMOJI_CATEGORIES, emoji_category

    assert emoji_category("1F600") == "emoticon"
    assert emoji_category("1F44B-1F3FD") == "skin-tone"
    assert emoji_category("1F1EB-1F1F7") == "flag"
    assert emoji_category("2600") == "symbol"
    assert emoji_category("1F680") == "transport"
    with pytest.raises(ValueError, match="code-point"):
        emoji_category("smile")
    ds = open_dataset("demo:emoji", 16, 3, labelled=True)
    assert ds.class_names == EMOJI_CATEGORIES and ds.labels is not None
    counts = torch.bincount(ds.labels, minlength=len(EMOJI_CATEGORIES))
    assert (counts > 50).all() and int(counts.sum()) == len(ds)
