"""Whether an input looks like what a translator was trained on (engine/input_check.py), and the
domains a translator declares (names of A and B, exclusive target domains)."""

from __future__ import annotations

import numpy as np
import pytest

from engine import zoo
from engine.checkpoints.loader import load_model
from engine.checkpoints.native import save_native
from engine.families import get_family
from engine.families.base import ImageInput
from engine.images import fit_image, read_image
from engine.input_check import profile_of


def _samples(name: str, side: str = "A") -> tuple[list[np.ndarray], tuple[int, int]]:
    entry = zoo.find(name)
    assert entry is not None, f"{name} is not bundled"
    ii = load_model(name).capabilities.image_input
    files = zoo.sample_inputs(entry.path)[side]
    return [fit_image(read_image(f), ii.size, ii.channels) for f in files], (ii.size, ii.channels)


def test_bundled_translators_list_their_sample_inputs_by_side() -> None:
    cyc = zoo.sample_inputs(zoo.find("fmnist-cyclegan").path)
    assert sorted(cyc) == ["A", "B"] and len(cyc["A"]) == len(cyc["B"]) == 8
    assert all("-inputB-" in p.name for p in cyc["B"]) and all(p.exists() for p in cyc["A"] + cyc["B"])
    assert sorted(zoo.sample_inputs(zoo.find("fmnist-stargan").path)) == ["A"]
    assert zoo.sample_inputs(zoo.find("emoji-stylegan2").path) == {}  # a generator has none
    assert zoo.sample_inputs("/no/such/model.safetensors") == {}


def test_a_photo_is_unlike_line_drawings_and_a_sample_is_not() -> None:
    samples, (size, channels) = _samples("emoji-pix2pix")
    profile = profile_of(samples)
    assert not any(profile.unlike(s) for s in samples)
    colour = fit_image(read_image(zoo.assets_dir() / "samples" / "emoji-stylegan2-grid.png"), size, channels)
    noise = np.random.default_rng(0).integers(0, 256, (size, size, channels), dtype=np.uint8)
    assert profile.unlike(colour) and profile.unlike(noise)
    assert profile.distance(colour) > 2 * profile.limit


def test_other_fashion_items_on_black_are_not_flagged_but_a_white_page_is() -> None:
    samples, (size, channels) = _samples("fmnist-cyclegan", "B")
    profile = profile_of(samples)
    trouser = fit_image(read_image(zoo.assets_dir() / "samples" / "fmnist-inputs" / "trouser.png"), size, channels)
    assert not profile.unlike(trouser)  # the same kind of picture (a grey item on black)
    page = np.full((size, size, channels), 250, np.uint8)
    assert profile.unlike(page)


def test_profile_checks_its_input() -> None:
    with pytest.raises(ValueError, match="at least one"):
        profile_of([])
    with pytest.raises(ValueError, match="uint8"):
        profile_of([np.zeros((8, 8, 3), np.float32)])


def test_direction_names_come_from_the_domains() -> None:
    named = ImageInput(3, 64, ("AtoB", "BtoA"), domains=("edges", "colour"))
    assert named.direction_name("AtoB") == "edges → colour" and named.direction_name("BtoA") == "colour → edges"
    assert ImageInput(3, 64, ("AtoB",)).direction_name("AtoB") == "A → B"


def test_translators_keep_their_domains_through_a_checkpoint(tmp_path) -> None:
    cyc, star = get_family("cyclegan"), get_family("stargan")
    path = save_native(cyc.new(cyc.tiny_config(), {"domains": ["grey", "colour"]}), tmp_path / "c.safetensors")
    assert load_model(path).capabilities.image_input.domains == ("grey", "colour")
    bad = save_native(cyc.new(cyc.tiny_config(), {"domains": ["just one"]}), tmp_path / "b.safetensors")
    assert load_model(bad).capabilities.image_input.domains == ()
    meta = {"classes": ["x", "y", "z"], "exclusive_domains": True}
    path = save_native(star.new(star.tiny_config(), meta), tmp_path / "s.safetensors")
    assert load_model(path).capabilities.image_input.exclusive_domains is True
    path = save_native(star.new(star.tiny_config(), {"classes": ["x", "y", "z"]}), tmp_path / "a.safetensors")
    assert load_model(path).capabilities.image_input.exclusive_domains is False  # unknown: attributes


def test_bundled_translators_declare_their_domains() -> None:
    assert load_model("fmnist-cyclegan").capabilities.image_input.domains == ("sneaker", "ankle boot")
    assert load_model("emoji-pix2pix").capabilities.image_input.domains == ("edges", "colour")
    assert load_model("fmnist-stargan").capabilities.image_input.exclusive_domains is True
