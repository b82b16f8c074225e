"""scripts/compare_grids.py: the README's side-by-side grids, and one line for a model it cannot read."""

from __future__ import annotations

import logging

import pytest
import torch
from PIL import Image

from scripts.compare_grids import main
from training.loop import grid_image


def test_grid_image_lays_out_rows_of_nrow_on_white():
    images = -torch.ones(5, 3, 4, 4)  # black tiles
    im = grid_image(images, nrow=2)
    assert im.size == (8, 12)  # 2 columns, 3 rows
    assert im.getpixel((0, 0)) == (0, 0, 0) and im.getpixel((7, 11)) == (255, 255, 255)  # the sixth cell is empty
    with pytest.raises(ValueError, match="NCHW"):
        grid_image(torch.zeros(3, 4, 4))


def test_two_models_side_by_side_under_captions(tiny_stylegan2_path, tmp_path):
    out = tmp_path / "figure.png"
    assert main([str(out), f"{tiny_stylegan2_path}=A", f"{tiny_stylegan2_path}=B", "--cell", "8"]) == 0
    im = Image.open(out)
    assert im.size == (2 * 4 * 8 + 12, 4 * 8 + 22)  # two 4x4 grids of 8 px cells, a gap, a caption bar
    assert not list(tmp_path.glob(".*"))  # no temp file left


def test_an_unreadable_model_is_one_line_and_writes_nothing(tmp_path, caplog):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 64)
    out = tmp_path / "figure.png"
    with caplog.at_level(logging.ERROR):
        assert main([str(out), f"{bad}=bad"]) == 2
    assert not out.exists()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "bad.safetensors" in errors[0]
