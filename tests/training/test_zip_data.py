"""Zipped training data: unpacked once into the cache, any folder layout, unsafe archives refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from training.data import DataError, open_dataset
from training.translation_data import open_translation_dataset
from training.zip_data import unpack


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path / "cache"))


def _png(colour: tuple[int, int, int], size: int = 12) -> bytes:
    import io

    buf = io.BytesIO()
    Image.fromarray(np.full((size, size, 3), colour, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zipped_class_folders_open_labelled_and_are_unpacked_once(tmp_path: Path) -> None:
    members = {
        f"shapes/{c}/{i}.png": _png((200 * (c == "red"), 0, 200 * (c == "blue")))
        for c in ("red", "blue")
        for i in range(3)
    }
    members["shapes/red/notes.txt"] = b"not an image"
    members["__MACOSX/shapes/._0.png"] = b"resource fork"
    archive = _zip(tmp_path / "shapes.zip", members)
    ds = open_dataset(archive, 8, 3, labelled=True)
    assert len(ds) == 6 and ds.class_names == ("blue", "red")
    assert ds.summary.source == str(archive)
    red = ds.images[ds.labels == 1].float().mean(dim=(0, 2, 3))
    assert red[0] > 150 and red[2] < 50
    folder = unpack(archive)
    marker = folder.parent / ".complete"
    stamp = marker.stat().st_mtime_ns
    assert unpack(archive) == folder and marker.stat().st_mtime_ns == stamp  # reused, not unpacked again


def test_unpaired_layout_from_a_zip(tmp_path: Path) -> None:
    members = {f"trainA/{i}.png": _png((255, 0, 0)) for i in range(2)}
    members |= {f"trainB/{i}.png": _png((0, 0, 255)) for i in range(3)}
    ds = open_translation_dataset(_zip(tmp_path / "ab.zip", members), "unpaired", 8, 3)
    assert ds.A is not None and ds.B is not None and len(ds.A) == 2 and len(ds.B) == 3


def test_unsafe_corrupt_and_empty_archives_are_refused(tmp_path: Path) -> None:
    bad = _zip(tmp_path / "evil.zip", {"../outside.png": _png((1, 2, 3))})
    with pytest.raises(DataError, match="outside its folder"):
        open_dataset(bad, 8, 3)
    assert not (tmp_path / "outside.png").exists()
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DataError, match="not a readable zip"):
        open_dataset(broken, 8, 3)
    with pytest.raises(DataError, match="no images"):
        open_dataset(_zip(tmp_path / "text.zip", {"a.txt": b"hello"}), 8, 3)
