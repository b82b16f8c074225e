"""Findings 7 and 14 (engine side): decompression bombs, files that are not images, FIFOs and odd
modes are skipped and counted with reasons instead of aborting a folder or a dataset; EXIF
orientation is applied; a zip bomb is refused before it is unpacked."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import DataError
from engine.images import read_image
from tests.hostile import hostile_files as hf


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = hf.png_bomb(tmp_path_factory.mktemp("bomb") / "bomb.png")
    assert p.stat().st_size < 400_000  # ~194 KB for 1.6 gigapixels
    return p


def test_decompression_bomb_is_refused_before_decoding_and_prints_no_warning(bomb: Path) -> None:
    r = hf.probe(f"read_image({str(bomb)!r})", "from engine.images import read_image")
    hf.assert_refused_cheaply(r, "bomb.png", "exceeds the limit of 268 megapixels")
    assert r["type"] == "DataError"
    assert "DecompressionBomb" not in r["stderr"] and "Warning" not in r["stderr"], r["stderr"]


def test_bomb_a_bit_over_pils_own_warning_threshold_prints_nothing(tmp_path: Path) -> None:
    # 12000×12000 (144 megapixels) is over PIL's default warning threshold but within LatentLab's limit.
    p = hf.png_bomb(tmp_path / "big.png", side=12000)
    r = hf.probe(
        f"from engine.images import open_image\nwith open_image({str(p)!r}) as im:\n    return im.size",
        "import warnings\nwarnings.simplefilter('default')",
    )
    assert r["ok"] and r["value"] == "(12000, 12000)"
    assert "DecompressionBomb" not in r["stderr"] and "Warning" not in r["stderr"], r["stderr"]


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    p = hf.jpeg_with_orientation(tmp_path / "rotated.jpg", orientation=6)  # stored 40×20, shown rotated 90°
    im = read_image(p)
    assert im.size == (20, 40)
    a = np.asarray(im.convert("L"))
    assert a[:18].mean() < 40 and a[22:].mean() > 215  # black on top, white below after the turn


def test_16bit_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    im = read_image(hf.png_16bit(tmp_path / "deep.png"))
    a = np.asarray(im)
    assert im.mode == "L" and a.min() == 0 and a.max() == 255 and len(np.unique(a)) > 100


def test_text_file_named_png_and_fifo_are_one_line_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"notes\.png: not a readable image"):
        read_image(hf.text_as_png(tmp_path / "notes.png"))
    with pytest.raises(DataError, match=r"pipe\.png: is a named pipe \(FIFO\), not an image file"):
        read_image(hf.fifo(tmp_path / "pipe.png"))


def test_max_side_shrinks_on_read(tmp_path: Path) -> None:
    p = tmp_path / "large.jpg"
    Image.fromarray(np.full((1200, 1600, 3), 128, np.uint8)).save(p, quality=80)
    im = read_image(p, max_side=256)
    assert max(im.size) == 256 and im.size[0] > im.size[1]


def test_translate_a_folder_with_a_bomb_a_text_file_a_fifo_and_a_16bit_png(tmp_path: Path, bomb: Path) -> None:
    from engine.families import get_family
    from engine.translate import collect_inputs, summarize, translate_files

    good = hf.image_folder_of_20(tmp_path / "in", bomb)
    fam = get_family("pix2pix")
    model = fam.new(fam.tiny_config())
    inputs = collect_inputs([tmp_path / "in"])
    assert len(inputs) == 20
    results = list(translate_files(model, inputs, tmp_path / "out"))
    summary = summarize(results)
    assert summary.translated == 17 and summary.total == 20  # 16 RGB + the 16-bit PNG
    reasons = {src.name: why for src, why in summary.skipped}
    assert set(reasons) == {"bomb.png", "notes.png", "pipe.png"}
    assert "exceeds the limit" in reasons["bomb.png"]
    assert "not a readable image" in reasons["notes.png"]
    assert "named pipe" in reasons["pipe.png"]
    assert all("\n" not in why for why in reasons.values())
    outs = {p.name for p in (tmp_path / "out").iterdir()}
    assert {f"{Path(n).stem}_AtoB.png" for n in good} | {"deep_AtoB.png"} == outs
    assert summary.line() == "translated 17 of 20 files; skipped 3"


def test_training_data_skips_and_counts_bad_files_with_reasons(tmp_path: Path, bomb: Path) -> None:
    from training.data import open_dataset

    hf.image_folder_of_20(tmp_path / "data", bomb)
    ds = open_dataset(tmp_path / "data", 16, 3)
    assert len(ds) == 17 and ds.summary.skipped == 3
    reasons = dict(zip(ds.summary.skipped_files, ds.summary.skipped_reasons))
    assert set(reasons) == {"bomb.png", "notes.png", "pipe.png"}
    assert "exceeds the limit" in reasons["bomb.png"] and "named pipe" in reasons["pipe.png"]


def test_zip_bomb_is_refused_before_unpacking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from training.data import DataError as TrainDataError
    from training.data import open_dataset

    monkeypatch.setenv("LATENTLAB_CACHE", str(tmp_path / "cache"))
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(4):  # 4 × 256 MB of zeros in ~1 MB
            with zf.open(f"data/img{i}.png", "w", force_zip64=True) as f:
                chunk = b"\0" * (1 << 20)
                for _ in range(256):
                    f.write(chunk)
    assert z.stat().st_size < 2 << 20
    expected = (
        r"bomb\.zip: a [\d.]+ KB archive that unpacks to 1\.0 GB \(\d+× its size, limit 100×\) looks like a zip bomb"
    )
    with pytest.raises(TrainDataError, match=expected):
        open_dataset(z, 16, 3)
    cache = tmp_path / "cache"
    assert not cache.exists() or sum(p.stat().st_size for p in cache.rglob("*") if p.is_file()) == 0


def test_a_bad_thumbnail_never_breaks_a_gallery(tmp_path: Path, bomb: Path) -> None:
    """Finding 9, engine side: a project with one broken and one huge thumbnail loads; those two
    bookmarks show no thumbnail, the others do."""
    import base64
    import json

    from engine.latent.gallery import Bookmark, load_project, png_bytes, save_project

    good = Bookmark("good", 1, thumbnail=png_bytes(np.zeros((8, 8, 3), np.uint8)))
    path = save_project(tmp_path / "p.latentlab.json", "m", [good, Bookmark("b", 2), Bookmark("c", 3)])
    doc = json.loads(path.read_text())
    doc["bookmarks"][1]["thumbnail"] = base64.b64encode(b"\x89PNG\r\n\x1a\nbroken").decode()
    doc["bookmarks"][2]["thumbnail"] = base64.b64encode(bomb.read_bytes()).decode()
    doc["bookmarks"].append({"name": "d", "seed": 4, "thumbnail": "%%% not base64 %%%"})
    path.write_text(json.dumps(doc))
    _, marks = load_project(path)
    assert [m.thumbnail_array() is not None for m in marks] == [True, False, False, False]
