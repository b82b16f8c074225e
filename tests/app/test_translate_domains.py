"""The Translate panel speaks the model's language: directions named by its domains, exclusive target
domains as one choice, a warning (with the model's sample inputs) for an input unlike its training
data, and a count of the images each batch translated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtWidgets import QCheckBox, QRadioButton

from engine import zoo
from engine.checkpoints.loader import load_model
from engine.checkpoints.native import save_native
from engine.families import get_family
from engine.translate import translate_array
from tests.app.conftest import WAIT_MS
from tests.app.test_main_window import drop_files
from tests.app.test_translate_panel import _open, _picture

pytestmark = pytest.mark.qt


@pytest.fixture(scope="module")
def named(tmp_path_factory) -> dict[str, Path]:
    """A CycleGAN with named domains and a StarGAN whose domains are exclusive."""
    d = tmp_path_factory.mktemp("named")
    torch.manual_seed(2)
    cyc, star = get_family("cyclegan"), get_family("stargan")
    return {
        "cyclegan": save_native(
            cyc.new(cyc.tiny_config(), {"domains": ["sneaker", "ankle boot"]}), d / "shoes.safetensors"
        ),
        "stargan": save_native(
            star.new(star.tiny_config(), {"classes": ["red", "green", "blue"], "exclusive_domains": True}),
            d / "hues.safetensors",
        ),
    }


def test_directions_are_named_by_the_models_domains(qtbot, client, named, tmp_path) -> None:
    win = _open(qtbot, client, named["cyclegan"])
    panel = win.translate_panel
    names = [panel.direction.itemText(i) for i in range(panel.direction.count())]
    assert names == ["sneaker → ankle boot", "ankle boot → sneaker"]
    assert [panel.direction.itemData(i) for i in range(2)] == ["AtoB", "BtoA"]
    win.close()


def test_exclusive_domains_are_one_choice(qtbot, client, named, tmp_path) -> None:
    win = _open(qtbot, client, named["stargan"])
    panel = win.translate_panel
    assert all(isinstance(b, QRadioButton) for b in panel.domain_boxes)
    assert panel.domains_label.text() == "Target domain"
    drop_files(panel, [_picture(tmp_path / "a.png")])
    qtbot.waitUntil(lambda: panel.output_view.frame is not None, timeout=WAIT_MS)
    before = panel.output_view.frame
    panel.domain_boxes[2].setChecked(True)  # blue instead of red, never red + blue
    assert [b.isChecked() for b in panel.domain_boxes] == [False, False, True]
    np.testing.assert_array_equal(panel.choice()[1], [0.0, 0.0, 1.0])
    qtbot.waitUntil(lambda: not np.array_equal(panel.output_view.frame, before), timeout=WAIT_MS)
    expect = translate_array(load_model(named["stargan"]), panel.input_view.frame, target=torch.tensor([0.0, 0, 1]))
    np.testing.assert_array_equal(panel.output_view.frame, expect)
    win.close()


def test_attribute_domains_combine(qtbot, client, tmp_path) -> None:
    """Without ``exclusive_domains`` (e.g. CelebA attributes) the domains are check boxes."""
    star = get_family("stargan")
    path = save_native(star.new(star.tiny_config(), {"classes": ["a", "b", "c"]}), tmp_path / "attrs.safetensors")
    win = _open(qtbot, client, path)
    panel = win.translate_panel
    assert all(isinstance(b, QCheckBox) for b in panel.domain_boxes)
    assert panel.domains_label.text() == "Target attributes"
    panel.domain_boxes[2].setChecked(True)
    np.testing.assert_array_equal(panel.choice()[1], [1.0, 0.0, 1.0])
    win.close()


def test_a_photo_into_an_edges_model_gets_a_warning_and_its_sample_inputs(qtbot, client, tmp_path) -> None:
    entry = zoo.find("emoji-pix2pix")
    assert entry is not None
    win = _open(qtbot, client, str(entry.path))
    panel = win.translate_panel
    assert panel.direction.itemText(0) == "edges → colour"
    assert len(panel.sample_tiles) == 8 and not panel.examples.isHidden()
    photo = tmp_path / "photo.png"
    Image.open(zoo.assets_dir() / "samples" / "emoji-stylegan2-grid.png").convert("RGB").save(photo)
    drop_files(win, [photo])
    qtbot.waitUntil(lambda: panel.output_view.frame is not None, timeout=WAIT_MS)
    assert not panel.warning.isHidden() and "photo.png looks unlike" in panel.warning.text()
    assert panel.examples.isExpanded()
    panel.sample_tiles[0].clicked.emit()  # translate one of the inputs it was trained on
    qtbot.waitUntil(lambda: len(panel.items) == 2 and panel.items[1].output is not None, timeout=WAIT_MS)
    assert panel.warning.isHidden() and not panel.items[1].unlike
    win.close()


def test_the_count_is_the_batch_just_translated(qtbot, client, named, tmp_path) -> None:
    win = _open(qtbot, client, named["cyclegan"])
    panel = win.translate_panel
    panel.take_images([str(_picture(tmp_path / "a.png")), str(_picture(tmp_path / "b.png", (30, 30)))])
    qtbot.waitUntil(lambda: panel.status.text().startswith("Translated 2 images ·"), timeout=WAIT_MS)
    panel.take_images([str(_picture(tmp_path / "c.png", (20, 50)))])
    qtbot.waitUntil(lambda: panel.status.text().startswith("Translated 1 image (3 open)"), timeout=WAIT_MS)
    panel.direction.setCurrentIndex(1)  # a new choice translates every open image again
    qtbot.waitUntil(lambda: panel.status.text().startswith("Translated 3 images ·"), timeout=WAIT_MS)
    assert all(it.choice is not None and it.choice[0] == "BtoA" for it in panel.items)
    win.close()
