"""Paired, unpaired and multi-domain training data: folder layouts, attribute tables, the emoji demos."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from training.data import DataError
from training.translation_data import HUE_DOMAINS, open_translation_dataset


def _img(path, colour, size=(20, 20), mode="RGB"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, colour).save(path)


def test_paired_side_by_side(tmp_path):
    for i in range(3):
        im = Image.new("RGB", (40, 20), (255, 0, 0))
        im.paste((0, 0, 255), (20, 0, 40, 20))  # left half A red, right half B blue
        im.save(tmp_path / f"{i}.jpg", quality=95)
    (tmp_path / "notes.txt").write_text("not an image")
    Image.new("RGB", (21, 20)).save(tmp_path / "odd.png")  # odd width: skipped with a reason
    ds = open_translation_dataset(tmp_path, "paired", 8)
    assert len(ds) == 3 and ds.summary.skipped == 1
    b = ds.sample(2, torch.Generator().manual_seed(0))
    assert b["A"].shape == b["B"].shape == (2, 3, 8, 8)
    assert b["A"][:, 0].mean() > 0.9 and b["A"][:, 2].mean() < -0.9
    assert b["B"][:, 2].mean() > 0.9 and b["B"][:, 0].mean() < -0.9


def test_paired_folders_match_by_name(tmp_path):
    for name, v in (("x", 10), ("y", 200)):
        _img(tmp_path / "A" / f"{name}.png", (v, v, v))
        _img(tmp_path / "B" / f"{name}.jpg", (v, v, v))
    _img(tmp_path / "B" / "lonely.png", (0, 0, 0))
    ds = open_translation_dataset(tmp_path, "paired", 8, channels=1)
    assert len(ds) == 2 and ds.A.shape == (2, 1, 8, 8)
    torch.testing.assert_close(ds.A.float(), ds.B.float(), atol=2, rtol=0)  # row i of A pairs row i of B


def test_unpaired_train_a_b(tmp_path):
    for i in range(3):
        _img(tmp_path / "trainA" / f"{i}.png", (255, 0, 0, 128), mode="RGBA")
    for i in range(5):
        _img(tmp_path / "trainB" / f"{i}.png", (0, 255, 0))
    ds = open_translation_dataset(tmp_path, "unpaired", 8)
    assert ds.A.shape[0] == 3 and ds.B.shape[0] == 5
    b = ds.sample(4, torch.Generator().manual_seed(1))
    assert b["A"].shape == b["B"].shape == (4, 3, 8, 8)
    with pytest.raises(DataError, match="trainA"):
        open_translation_dataset(tmp_path / "trainA", "unpaired", 8)


def test_domain_folders(tmp_path):
    for d, c in (("blond", (250, 230, 100)), ("dark", (20, 20, 20)), ("red", (200, 10, 10))):
        for i in range(2):
            _img(tmp_path / d / f"{i}.png", c)
    ds = open_translation_dataset(tmp_path, "multi-domain", 8)
    assert ds.class_names == ("blond", "dark", "red") and ds.exclusive
    torch.testing.assert_close(ds.domains.sum(0), torch.tensor([2.0, 2.0, 2.0]))
    b = ds.sample(3, torch.Generator().manual_seed(0))
    assert b["image"].shape == (3, 3, 8, 8) and b["domain"].shape == (3, 3)


def test_celeba_attribute_table(tmp_path):
    imgs = tmp_path / "img_align_celeba"
    for i in range(1, 4):
        _img(imgs / f"00000{i}.jpg", (i * 60, 0, 0))
    table = tmp_path / "list_attr_celeba.txt"
    table.write_text(
        "4\nBlack_Hair Blond_Hair Male Young\n"
        "000001.jpg -1  1 -1  1\n000002.jpg  1 -1  1  1\n000003.jpg -1 -1  1 -1\n000004.jpg 1 1 1 1\n"
    )
    ds = open_translation_dataset(f"{table}#Blond_Hair,Male", "multi-domain", 8)
    assert ds.class_names == ("Blond_Hair", "Male") and not ds.exclusive
    assert ds.summary.skipped == 1  # 000004.jpg is listed but missing
    np.testing.assert_array_equal(ds.domains.numpy(), [[1, 0], [0, 1], [0, 1]])
    assert open_translation_dataset(tmp_path, "multi-domain", 8).class_names == (
        "Black_Hair",
        "Blond_Hair",
        "Male",
        "Young",
    )  # the folder with a list_attr table: every attribute
    with pytest.raises(DataError, match="Smiling"):
        open_translation_dataset(f"{table}#Smiling", "multi-domain", 8)


def test_demos():
    edges = open_translation_dataset("demo:emoji-edges", "paired", 16)
    assert len(edges) > 2000 and edges.A.shape == edges.B.shape
    a = edges.A.float()
    assert a.amax() == 255 and a.amin() < 128  # black edges on white
    assert not torch.equal(edges.A, edges.B)
    grey = open_translation_dataset("demo:emoji-grey", "unpaired", 16)
    assert torch.equal(grey.A[:, 0], grey.A[:, 1])  # grey side
    assert not torch.equal(grey.B[:, 0], grey.B[:, 1])
    hue = open_translation_dataset("demo:emoji-hue", "multi-domain", 16)
    assert hue.class_names == HUE_DOMAINS and hue.exclusive and (hue.domains.sum(0) > 50).all()
    assert edges.domain_names == ("edges", "colour") and grey.domain_names == ("grey", "colour")
    assert hue.domain_names == ()  # a multi-domain set names its domains in class_names
    with pytest.raises(DataError, match="paired data"):
        open_translation_dataset("demo:emoji-edges", "unpaired", 16)
