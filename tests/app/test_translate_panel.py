"""The Translate panel in the real window: a dropped image is translated, domains, save, folder job, cancel."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.checkpoints.loader import load_model
from engine.checkpoints.native import save_native
from engine.families import get_family
from engine.images import fit_image, resize_image
from engine.translate import plan_input, prepare_image, translate_array
from tests.app.conftest import WAIT_MS
from tests.app.test_cli_translate import mixed_folder
from tests.app.test_main_window import drop_files

pytestmark = pytest.mark.qt


@pytest.fixture(scope="module")
def translators(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("translators")
    out = {}
    for name in ("cyclegan", "stargan"):
        torch.manual_seed(1)
        fam = get_family(name)
        meta = {"classes": ["red", "green", "blue"]} if name == "stargan" else None
        out[name] = save_native(fam.new(fam.tiny_config(), meta), d / f"{name}.safetensors")
    return out


def _open(qtbot, client, path):
    from app.main_window import MainWindow
    from app.settings import Settings

    win = MainWindow(client, Settings())
    qtbot.addWidget(win)
    win.show()
    win.open_model(str(path))
    qtbot.waitUntil(lambda: win.session.caps is not None, timeout=WAIT_MS)
    return win


def _picture(path: Path, size=(60, 40)) -> Path:
    rng = np.random.RandomState(5)
    Image.fromarray(rng.randint(0, 255, (size[1], size[0], 4), dtype=np.uint8), "RGBA").save(path)
    return path


def test_dropping_an_image_on_the_window_translates_it(qtbot, client, translators, tmp_path) -> None:
    win = _open(qtbot, client, translators["cyclegan"])
    panel = win.translate_panel
    assert not win.docks["translate"].isHidden() and win.docks["encode"].isHidden()
    assert win.docks["latent"].isHidden()  # no latent, no seed to pick
    assert [panel.direction.itemData(i) for i in range(panel.direction.count())] == ["AtoB", "BtoA"]
    img = _picture(tmp_path / "photo.png")
    drop_files(win, [img])
    qtbot.waitUntil(lambda: panel.output_view.frame is not None, timeout=WAIT_MS)
    model = load_model(translators["cyclegan"])
    # A fully convolutional model: the 60×40 picture runs at its own size, and the panel says so.
    assert panel.fit_mode() == "native"
    fitted = resize_image(Image.open(img), 60, 40, 3)
    np.testing.assert_array_equal(panel.input_view.frame, fitted)
    np.testing.assert_array_equal(panel.output_view.frame, translate_array(model, fitted, "AtoB"))
    assert "ran at 60×40 (its own size" in panel.status.text()
    first = panel.output_view.frame
    panel.direction.setCurrentIndex(1)  # B → A: translated again
    qtbot.waitUntil(lambda: not np.array_equal(panel.output_view.frame, first), timeout=WAIT_MS)
    np.testing.assert_array_equal(panel.output_view.frame, translate_array(model, fitted, "BtoA"))
    panel.fit.setCurrentIndex(panel.fit.findData("crop"))  # the model's square, keeping the middle
    qtbot.waitUntil(lambda: panel.output_view.frame.shape == (16, 16, 3), timeout=WAIT_MS)
    fitted = fit_image(Image.open(img), 16, 3, "crop")
    np.testing.assert_array_equal(panel.output_view.frame, translate_array(model, fitted, "BtoA"))
    assert "resized 60×40 to 16×16 (centre crop" in panel.status.text()
    out = tmp_path / "saved.png"
    panel.save_output(str(out))
    np.testing.assert_array_equal(np.asarray(Image.open(out)), panel.output_view.frame)
    win.close()


def test_domains_and_a_bad_drop_on_the_panel(qtbot, client, translators, tmp_path) -> None:
    win = _open(qtbot, client, translators["stargan"])
    panel = win.translate_panel
    assert [b.text() for b in panel.domain_boxes] == ["red", "green", "blue"] and panel.direction.isHidden()
    bad = tmp_path / "notes.txt"
    bad.write_text("not an image")
    drop_files(panel, [_picture(tmp_path / "a.png"), bad])
    qtbot.waitUntil(lambda: panel.output_view.frame is not None, timeout=WAIT_MS)
    assert win.last_error is not None and "notes.txt" in win.last_error.text()
    win.last_error.close()
    before = panel.output_view.frame
    panel.domain_boxes[2].setChecked(True)  # red + blue
    qtbot.waitUntil(lambda: not np.array_equal(panel.output_view.frame, before), timeout=WAIT_MS)
    model = load_model(translators["stargan"])
    expect = translate_array(model, panel.input_view.frame, target=torch.tensor([1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(panel.output_view.frame, expect)
    win.close()


def test_folder_translation_reports_bad_files(qtbot, client, translators, tmp_path) -> None:
    win = _open(qtbot, client, translators["cyclegan"])
    panel = win.translate_panel
    mixed_folder(tmp_path / "in")
    panel.translate_folder(str(tmp_path / "in"), str(tmp_path / "out"))
    assert panel.progress.isVisible() or panel.last_folder_report is not None
    qtbot.waitUntil(lambda: panel.last_folder_report is not None, timeout=WAIT_MS)
    done, bad = panel.last_folder_report
    assert done == 19 and len(bad) == 1 and "notes.txt" in bad[0]
    assert len(list((tmp_path / "out").glob("*_AtoB.png"))) == 19
    assert "notes.txt" in win.last_error.text() and not panel.progress.isVisible()
    win.last_error.close()
    win.close()


def test_cancel_stops_the_folder_job(qtbot, client, engine, translators, tmp_path) -> None:
    win = _open(qtbot, client, translators["cyclegan"])
    panel = win.translate_panel
    mixed_folder(tmp_path / "in")
    gate = threading.Event()
    blocker = engine.submit_job("hold", lambda ctx: gate.wait(WAIT_MS / 1000))  # the folder job waits behind it
    panel.translate_folder(str(tmp_path / "in"), str(tmp_path / "out"))
    assert panel.cancel_button.isVisible()
    panel.cancel_button.click()
    gate.set()
    blocker.wait(WAIT_MS / 1000)
    qtbot.waitUntil(lambda: not panel.cancel_button.isVisible(), timeout=WAIT_MS)
    assert "cancelled" in panel.status.text() and panel.last_folder_report is None
    assert not list((tmp_path / "out").glob("*.png"))
    win.close()


def test_paste_translates_the_clipboard_image(qtbot, client, translators) -> None:
    from PySide6.QtGui import QGuiApplication, QImage

    win = _open(qtbot, client, translators["cyclegan"])
    panel = win.translate_panel
    img = QImage(30, 20, QImage.Format.Format_RGB32)
    img.fill(0xFF3366CC)
    QGuiApplication.clipboard().setImage(img)
    panel.paste_action.trigger()
    qtbot.waitUntil(lambda: panel.output_view.frame is not None, timeout=WAIT_MS)
    assert panel.shown.currentText() == "pasted image"
    np.testing.assert_array_equal(panel.input_view.frame[0, 0], [0x33, 0x66, 0xCC])
    win.close()


@pytest.mark.parametrize("name", ["emoji-pix2pix", "fmnist-cyclegan", "fmnist-stargan"])
def test_dropping_a_bundled_sample_translates_it(qtbot, client, name) -> None:
    """Issue 5's acceptance: each bundled translator translates its own sample input dropped on the window."""
    from engine import zoo

    entry = zoo.find(name)
    assert entry is not None, f"{name} is not bundled"
    sample = zoo.assets_dir() / entry.info["sample_inputs"][0]
    win = _open(qtbot, client, str(entry.path))
    panel = win.translate_panel
    drop_files(win, [sample])
    qtbot.waitUntil(lambda: panel.output_view.frame is not None, timeout=WAIT_MS)
    model = load_model(name)
    caps = model.capabilities
    im = Image.open(sample)
    fitted = prepare_image(im, plan_input(model, *im.size), caps.image_input.channels)
    np.testing.assert_array_equal(panel.input_view.frame, fitted)
    assert panel.output_view.frame.shape == fitted.shape
    assert np.abs(panel.output_view.frame.astype(int) - fitted.astype(int)).mean() > 2  # it changed the image
    shown = win.canvas.frame  # the canvas shows input | output large
    assert shown is not None and shown.shape[0] == fitted.shape[0] and shown.shape[1] > 2 * fitted.shape[1]
    win.close()


def test_switching_to_a_generator_shows_no_translate_error(
    qtbot, client, translators, model_files, tmp_path, capfd
) -> None:
    """Issue 13: after translating images, opening a generator must not run (and fail) a translation
    on it — no "… do not translate images" dialog, nothing logged as an error or traceback."""
    import logging

    win = _open(qtbot, client, translators["cyclegan"])
    panel = win.translate_panel
    drop_files(win, [_picture(tmp_path / "photo.png")])
    qtbot.waitUntil(lambda: panel.output_view.frame is not None, timeout=WAIT_MS)
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        win.open_model(str(model_files["m16"]))
        qtbot.waitUntil(lambda: win.session.model.name == "m16" and win.session.last_frame is not None, timeout=WAIT_MS)
        done = client.engine.submit_job("after", lambda ctx: None)  # every job submitted before it has ended
        done.wait(WAIT_MS / 1000)
        qtbot.wait(100)  # its queued results reach the GUI thread
    finally:
        logging.getLogger().removeHandler(handler)
    assert win.last_error is None, win.last_error.text()
    assert not [r.getMessage() for r in records], [r.getMessage() for r in records]
    assert "Traceback" not in capfd.readouterr().err
    win.close()
