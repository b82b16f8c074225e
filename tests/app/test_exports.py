"""Export video…, Save image… and Save grid…: sizes, PNG text chunks, remembered choices and folders."""

from __future__ import annotations

import imageio.v2 as imageio
import numpy as np
import pytest
from PIL import Image

from engine.image_info import read_info
from tests.app.conftest import WAIT_MS

pytestmark = pytest.mark.qt


@pytest.fixture
def out_dir(tmp_path):
    """A folder for the outputs alone (tmp_path also holds the test's settings)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _wait_written(qtbot, window, path) -> None:
    qtbot.waitUntil(lambda: path.exists() and not window.session.tasks, timeout=WAIT_MS)
    assert window.last_error is None, window.last_error and window.last_error.text()


def test_export_dialog_writes_a_4x_video_and_remembers(window, wait_current, qtbot, out_dir) -> None:
    wait_current()
    dialog = window.interpolate_panel.export_dialog()
    assert dialog is window.interpolate_panel.dialog and dialog.isVisible()
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("mp4"))
    dialog.size_row.size_box.setCurrentIndex(dialog.size_row.size_box.findData("4"))
    dialog.frames.setValue(4)
    dialog.fps.setValue(8)
    dialog.path_edit.setText(str(out_dir / "walk"))  # the suffix follows the format
    assert dialog.size_row.out_shape() == (64, 64)
    dialog.accept()
    out = out_dir / "walk.mp4"
    _wait_written(qtbot, window, out)
    frames = [f for f in imageio.get_reader(out)]
    assert len(frames) == 4 and frames[0].shape[:2] == (64, 64)
    assert window.interpolate_panel.frames.value() == 4  # the walk follows the export
    assert sorted(p.name for p in out_dir.iterdir()) == ["walk.mp4"]  # no temporary file left

    again = window.interpolate_panel.export_dialog()  # the last choices and folder
    assert again.format == "mp4" and again.size_row.size_box.currentData() == "4" and again.fps.value() == 8
    assert again.path().startswith(str(out_dir))
    again.format_box.setCurrentIndex(again.format_box.findData("gif"))
    assert again.path().endswith(".gif") and not again.quality.isEnabled()
    again.reject()


def test_a_64px_model_exports_512px_by_default(qapp) -> None:
    from app.dialogs.output_size import SizeRow

    assert SizeRow(64).out_shape() == (512, 512)
    assert SizeRow(256).out_shape() == (512, 512) and SizeRow(1024).out_shape() == (1024, 1024)
    row = SizeRow(64)
    row.size_box.setCurrentIndex(row.size_box.findData("pixels"))
    row.pixels.setValue(300)
    row.set_even(True)
    assert row.out_shape() == (300, 300) and row.value().pixels == 300


def test_save_image_records_how_to_reproduce_it(window, wait_current, qtbot, out_dir) -> None:
    window.latent_panel.seed.setValue(42)
    window.truncation_panel.psi_slider.setValue(window.truncation_panel.psi_slider.to_int(0.7))
    frame = wait_current()
    dialog = window.exports.save_image_dialog()
    assert dialog is not None and dialog.path().endswith("m16-seed42.png")
    dialog.size_row.size_box.setCurrentIndex(dialog.size_row.size_box.findData("2"))
    dialog.path_edit.setText(str(out_dir / "frame.png"))
    dialog.accept()
    out = out_dir / "frame.png"
    _wait_written(qtbot, window, out)
    assert Image.open(out).size == (32, 32)
    small = np.asarray(Image.open(out))[::2, ::2]
    assert np.array_equal(small, frame.image)  # nearest: every pixel doubled
    info = read_info(out)
    assert info["latentlab.model"] == "m16" and info["latentlab.seed"] == "42"
    assert info["latentlab.psi"] == "0.7" and info["latentlab.latent"] == "seed"
    assert info["latentlab.noise_mode"] == window.session.params.noise.mode
    assert info["latentlab.cutoff"] == "none" and info["latentlab.model_source"].endswith("m16.safetensors")

    again = window.exports.save_image_dialog()  # opens in the folder used last
    assert again.path().startswith(str(out_dir)) and again.size_row.size_box.currentData() == "2"
    again.reject()


def test_save_grid_of_seeds(window, wait_current, qtbot, out_dir) -> None:
    wait_current()
    dialog = window.exports.save_grid_dialog()
    dialog.first.setValue(5)
    dialog.count.setValue(6)
    dialog.columns.setValue(3)
    dialog.path_edit.setText(str(out_dir / "grid.png"))
    dialog.accept()
    out = out_dir / "grid.png"
    _wait_written(qtbot, window, out)
    assert Image.open(out).size == (3 * 16, 2 * 16)
    info = read_info(out)
    assert info["latentlab.seeds"] == "5,6,7,8,9,10" and info["latentlab.columns"] == "3"


def test_an_existing_file_survives_a_cancelled_export(window, wait_current, qtbot, out_dir) -> None:
    wait_current()
    out = out_dir / "walk.gif"
    out.write_bytes(b"an earlier export")
    panel = window.interpolate_panel
    panel.export_video(str(out), 400, 10)
    qtbot.waitUntil(lambda: bool(window.session.tasks), timeout=WAIT_MS)
    window.session.cancel_tasks()
    qtbot.waitUntil(lambda: not window.session.tasks, timeout=WAIT_MS)
    assert out.read_bytes() == b"an earlier export"
    assert sorted(p.name for p in out_dir.iterdir()) == ["walk.gif"]
