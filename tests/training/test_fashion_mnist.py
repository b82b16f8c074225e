"""Fashion-MNIST IDX reading (synthetic files here; the real Debian files when installed)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from training import fashion_mnist
from training.data import DataError, open_dataset


def _idx(path: Path, arr: np.ndarray, compress: bool = True) -> None:
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    data = header + arr.astype(np.uint8).tobytes()
    if compress:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


@pytest.fixture
def fake_fmnist(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 12), ("t10k", 6)):
        _idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        _idx(tmp_path / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10, compress=False)
    monkeypatch.setenv("LATENTLAB_FASHION_MNIST", str(tmp_path))
    return tmp_path


def test_reads_idx_files_gz_and_plain(fake_fmnist):
    images, labels = fashion_mnist.load("test")
    assert images.shape == (6, 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == [0, 1, 2, 3, 4, 5]
    raw = fashion_mnist.read_idx(fake_fmnist / "t10k-images-idx3-ubyte.gz")
    assert np.array_equal(raw, images)


def test_dataset_spec_labels_and_padding(fake_fmnist):
    ds = open_dataset("fmnist:train", 32, 1, labelled=True)
    assert ds.images.shape == (12, 1, 32, 32) and ds.labelled and len(ds.class_names) == 10
    assert int(ds.images[:, :, :2].max()) == 0  # 2-pixel black border around the 28x28 original
    images, _ = fashion_mnist.load("train")
    assert np.array_equal(ds.images[:, 0, 2:30, 2:30].numpy(), images)
    assert open_dataset("fmnist:test", 16, 3).images.shape == (6, 3, 16, 16)
    batch = next(ds.iterate(5))
    assert batch["image"].shape == (5, 1, 32, 32) and batch["label"].tolist() == [0, 1, 2, 3, 4]


def test_missing_data_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setenv("LATENTLAB_FASHION_MNIST", str(tmp_path))
    monkeypatch.setattr(fashion_mnist, "SYSTEM_DIR", tmp_path / "none")
    assert not fashion_mnist.available()
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        open_dataset("fmnist:train", 32, 1)
    with pytest.raises(DataError, match="unknown Fashion-MNIST split"):
        open_dataset("fmnist:valid", 32, 1)


def test_corrupt_idx_is_refused(tmp_path):
    (tmp_path / "x").write_bytes(b"\x00\x00\x09\x01" + (3).to_bytes(4, "big") + b"abc")
    with pytest.raises(ValueError, match="not an unsigned-byte IDX"):
        fashion_mnist.read_idx(tmp_path / "x")
    (tmp_path / "y").write_bytes(b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"abc")
    with pytest.raises(ValueError, match="header says"):
        fashion_mnist.read_idx(tmp_path / "y")


@pytest.mark.skipif(not fashion_mnist.available(), reason="Debian package dataset-fashion-mnist not installed")
def test_real_files_when_installed(monkeypatch):
    monkeypatch.delenv("LATENTLAB_FASHION_MNIST", raising=False)
    images, labels = fashion_mnist.load("test")
    assert images.shape == (10000, 28, 28) and np.bincount(labels).tolist() == [1000] * 10


def test_translation_specs_pick_classes(fake_fmnist):
    from training.translation_data import open_translation_dataset

    un = open_translation_dataset("fmnist:t-shirt-top,1", "unpaired", 32, 1)
    assert un.A.shape == (2, 1, 32, 32) and un.B.shape == (2, 1, 32, 32)  # labels 0..9 repeat: 12 images
    multi = open_translation_dataset("fmnist:sneaker,sandal,ankle-boot", "multi-domain", 16, 1)
    assert multi.class_names == ("Sneaker", "Sandal", "Ankle boot") and multi.domains.sum(0).tolist() == [1, 1, 1]
    with pytest.raises(DataError, match="unknown Fashion-MNIST class"):
        open_translation_dataset("fmnist:sneaker,boots", "unpaired", 32, 1)
    with pytest.raises(DataError, match="exactly two classes"):
        open_translation_dataset("fmnist:sneaker,sandal,bag", "unpaired", 32, 1)
    with pytest.raises(DataError, match="at least two different"):
        open_translation_dataset("fmnist:bag,bag", "multi-domain", 32, 1)


def test_checkpoint_metrics_event(fake_fmnist, tmp_path):
    from training.loop import TrainOptions, checkpoint_metrics, run

    class Collect:
        def __init__(self):
            self.events = []

        def emit(self, event, **fields):
            self.events.append({"event": event, **fields})

    ev = Collect()
    opts = TrainOptions(
        family="dcgan",
        data="fmnist:train",
        resolution=16,
        channels=1,
        out=str(tmp_path / "run"),
        batch=4,
        max_steps=2,
        checkpoint_every=2,
        sample_every=0,
        log_every=1,
        metrics_n=6,
        model={"z_dim": 8, "ngf": 8, "ndf": 8},
    )
    path = run(opts, ev)
    (m,) = [e for e in ev.events if e["event"] == "metrics"]
    assert m["step"] == 2 and m["n"] == 6 and m["against"] == "fmnist:test" and m["kid_mean"] is not None
    assert m["fid"] is None  # 6 test images: too few for 128-d FID (it needs 129)
    assert checkpoint_metrics(path, str(tmp_path), 6) is None  # no feature network for a folder
