"""Real images at their own size, read as pytorch-fid reads them (``convert("RGB")``, nothing else)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.metrics.evaluate import dataset_source, native_source
from training.data import DataError
from training.native_images import open_native


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    d = tmp_path / "imgs"
    (d / "sub").mkdir(parents=True)
    rgba = rng.integers(0, 256, (20, 30, 4), dtype=np.uint8)
    rgba[:10, :, 3] = 0  # transparent top half over coloured pixels
    Image.fromarray(rgba, "RGBA").save(d / "a_rgba.png")
    Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8), "L").save(d / "b_grey.png")
    Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8), "RGB").save(d / "sub" / "c_rgb.png")
    (d / "d_broken.png").write_bytes(b"not an image")
    (d / "notes.txt").write_text("ignored")
    return d


def test_a_folder_is_read_at_its_own_size_with_alpha_dropped(folder: Path) -> None:
    images = open_native(folder)
    assert images.count == 3 and images.skipped == ("d_broken.png",)
    assert images.sizes == ((30, 20), (16, 16), (40, 40))  # (width, height), sorted by path
    assert images.size_summary() == "mixed sizes (16×16 … 40×40)"
    rgba, grey, rgb = images.read([0, 1, 2])
    with Image.open(folder / "a_rgba.png") as im:
        expected = np.asarray(im.convert("RGB"))
        raw = np.asarray(im)
    assert rgba.dtype == torch.uint8 and rgba.shape == (3, 20, 30)
    assert np.array_equal(rgba.permute(1, 2, 0).numpy(), expected)
    assert np.array_equal(expected[:10], raw[:10, :, :3])  # the colour under transparency is kept, not white
    assert grey.shape == (3, 16, 16) and torch.equal(grey[0], grey[1]) and torch.equal(grey[1], grey[2])
    assert rgb.shape == (3, 40, 40)


def test_a_zip_and_an_npz_read_the_same_way(folder: Path, tmp_path: Path) -> None:
    zpath = tmp_path / "imgs.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in sorted(folder.rglob("*.png")):
            zf.write(p, p.relative_to(folder))
    from_zip = open_native(zpath)
    from_dir = open_native(folder)
    assert from_zip.count == 3 and from_zip.spec == str(zpath)
    for a, b in zip(from_zip.read(range(3)), from_dir.read(range(3)), strict=True):
        assert torch.equal(a, b)
    grey = np.random.default_rng(1).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    np.savez(tmp_path / "g.npz", images=grey)
    npz = open_native(tmp_path / "g.npz")
    assert npz.count == 5 and npz.size_summary() == "28×28"
    (x,) = npz.read([3])
    assert x.shape == (3, 28, 28) and np.array_equal(x[2].numpy(), grey[3])


def test_bad_specs_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        open_native(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="contains no images"):
        open_native(tmp_path / "empty")
    np.savez(tmp_path / "f.npz", images=np.zeros((2, 4, 4, 3), np.float32))
    with pytest.raises(DataError, match="expected uint8"):
        open_native(tmp_path / "f.npz")
    with pytest.raises(DataError, match="unknown demo dataset"):
        open_native("demo:nope")


def test_native_and_resized_sources_take_the_same_seeded_subset() -> None:
    images = torch.arange(20, dtype=torch.uint8).reshape(20, 1, 1, 1).expand(20, 1, 2, 2).contiguous()
    fake = type("D", (), {"images": images})()
    resized = torch.cat(list(dataset_source("x", fake, 7, seed=3).batches(3)))
    native = native_source("x", 20, lambda idx: [images[i] for i in idx], 7, seed=3)
    got = [im for batch in native.batches(3) for im in batch]
    assert native.count == 7 and len(got) == 7
    assert [int(g[0, 0, 0]) for g in got] == [round((float(r[0, 0, 0]) + 1) * 127.5) for r in resized]
    assert native.cache_id == "x#native#seed3" and dataset_source("x", fake, 7, 3).cache_id == "x#1x2x2#seed3"
