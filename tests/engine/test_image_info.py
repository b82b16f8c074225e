"""PNG text chunks: what a saved image records, read back."""

from __future__ import annotations

import numpy as np
import pytest

from engine.api import Interpolation, Latent, Noise, RenderRequest, StyleMix, Truncation
from engine.image_info import decode_array, grid_info, read_info, request_info, sampling_info, save_png


def test_request_info_round_trips_through_a_png(tmp_path) -> None:
    ws = np.arange(12, dtype=np.float32).reshape(3, 4)
    req = RenderRequest(
        "m",
        latent=Latent(seed=42, ws=ws),
        truncation=Truncation(0.7, 2),
        mix=StyleMix(seed=9, weights=(0.0, 1.0, 0.0)),
        noise=Noise(mode="random", seed=5, strength=0.5),
    )
    info = request_info(req, "emoji", "/models/emoji.safetensors")
    path = save_png(tmp_path / "a.png", np.zeros((8, 8, 3), np.uint8), info)
    back = read_info(path)
    assert back["latentlab.model"] == "emoji" and back["latentlab.model_source"] == "/models/emoji.safetensors"
    assert back["latentlab.seed"] == "42" and back["latentlab.latent"] == "w+"
    assert back["latentlab.psi"] == "0.7" and back["latentlab.cutoff"] == "2"
    assert back["latentlab.noise_mode"] == "random" and back["latentlab.noise_seed"] == "5"
    assert back["latentlab.style_mix"].startswith("seed 9")
    assert np.array_equal(decode_array(back["latentlab.ws"]), ws)
    assert back["Software"].startswith("LatentLab")


def test_seed_latent_and_edits_in_words(tmp_path) -> None:
    from dataclasses import replace

    req = RenderRequest("m", seed=3)
    req = replace(req, edits=replace(req.edits, interpolation=Interpolation(seed_b=8, t=0.25)))
    info = request_info(req, "m")
    assert info["latentlab.latent"] == "seed" and "latentlab.z" not in info
    assert info["latentlab.cutoff"] == "none" and info["latentlab.noise_mode"] == "const"
    assert "seed 8" in info["latentlab.edits"]
    grid = grid_info([1, 2, 3], req, "m", columns=2)
    assert grid["latentlab.seeds"] == "1,2,3" and "latentlab.seed" not in grid and grid["latentlab.columns"] == "2"
    cli = sampling_info("m", "m", [0, 1], 0.5, None, "const", class_label="3 (dress)")
    assert cli["latentlab.seeds"] == "0,1" and cli["latentlab.psi"] == "0.5" and cli["latentlab.class"] == "3 (dress)"


def test_existing_file_is_kept_when_the_image_is_bad(tmp_path) -> None:
    target = tmp_path / "a.png"
    target.write_bytes(b"mine")
    with pytest.raises(ValueError, match="uint8"):
        save_png(target, np.zeros((8, 8), np.float32), {})
    assert target.read_bytes() == b"mine"
    with pytest.raises(ValueError, match="encoded array"):
        decode_array("not base64!")
