"""The explorer as a daily tool, walked end to end as a user does (issue 14's scenario): explore, switch
through a translation model and back, export a 4-frame video at 4x, save an image and read back how it
was made, relaunch and find seed, psi and walk restored, reset the layout. No dialog except the
expected ones, no traceback on stderr."""

from __future__ import annotations

import imageio.v2 as imageio
import numpy as np
import pytest
from PIL import Image

from engine import zoo
from engine.image_info import read_info
from tests.app.conftest import WAIT_MS

pytestmark = [pytest.mark.qt, pytest.mark.slow]


def _open(qtbot, win, path: str, name: str) -> None:
    win.open_model(path)
    qtbot.waitUntil(
        lambda: win.session.model is not None and win.session.model.name == name and win.session.caps is not None,
        timeout=WAIT_MS,
    )


def _written(qtbot, win, path) -> None:
    qtbot.waitUntil(lambda: path.exists() and not win.session.tasks, timeout=WAIT_MS)
    assert win.last_error is None, win.last_error and win.last_error.text()


def test_a_day_in_the_explorer(window, wait_current, qtbot, client, model_files, tmp_path, capfd) -> None:
    from app.main_window import MainWindow
    from app.settings import Settings

    translator = zoo.find("fmnist-cyclegan")
    if translator is None:
        pytest.skip("the bundled fmnist-cyclegan model is not in assets/")
    out = tmp_path / "out"
    out.mkdir()

    # Explore: a seed, psi, a style layer toward the mix seed, a walk of two seeds.
    window.latent_panel.seed.setValue(42)
    window.truncation_panel.psi_slider.setValue(window.truncation_panel.psi_slider.to_int(0.7))
    first = wait_current()
    window.session.edit("style mix, layer 2", {"mix": {"seed": 7, "weights": (0.0, 0.0, 1.0, 0.0, 0.0, 0.0)}})
    mixed = wait_current()
    assert not np.array_equal(mixed.image, first.image)
    walk = window.interpolate_panel
    walk.walk_keys.seeds.setText("3, 9")
    walk.walk_keys.add_typed_seeds()

    # Through a translation model and back: no dialog, the generator's state comes back.
    _open(qtbot, window, str(translator.path), translator.path.stem)
    assert window.translate_panel.isVisibleTo(window) and window.last_error is None
    _open(qtbot, window, str(model_files["m16"]), "m16")
    p = wait_current().request
    assert p.latent.seed == 42 and p.truncation.psi == pytest.approx(0.7) and window.last_error is None
    assert [k.seed for k in walk.keyframes()] == [3, 9]

    # Export a 4-frame video at 4x the model's size.
    dialog = walk.export_dialog()
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("mp4"))
    dialog.size_row.size_box.setCurrentIndex(dialog.size_row.size_box.findData("4"))
    dialog.frames.setValue(4)
    dialog.path_edit.setText(str(out / "walk"))
    dialog.accept()
    video = out / "walk.mp4"
    _written(qtbot, window, video)
    frames = [f for f in imageio.get_reader(video)]  # noqa: C416 - the reader has no finite len()
    assert len(frames) == 4 and frames[0].shape[:2] == (64, 64)

    # Save the frame and read back how it was made.
    shown = wait_current()
    assert window.save_image(str(out / "frame.png"))
    _written(qtbot, window, out / "frame.png")
    assert np.array_equal(np.asarray(Image.open(out / "frame.png")), shown.image)
    info = read_info(out / "frame.png")
    assert (info["latentlab.model"], info["latentlab.seed"], info["latentlab.psi"]) == ("m16", "42", "0.7")
    window.close()

    # Relaunch: seed, psi, mix and walk are back; Reset layout puts the docks home.
    again = MainWindow(client, Settings())
    qtbot.addWidget(again)
    again.show()
    _open(qtbot, again, str(model_files["m16"]), "m16")
    qtbot.waitUntil(lambda: again.session.last_frame is not None, timeout=WAIT_MS)
    p = again.session.params
    assert p.latent.seed == 42 and p.truncation.psi == pytest.approx(0.7) and p.mix.seed == 7
    assert [k.seed for k in again.interpolate_panel.keyframes()] == [3, 9]
    again.docks["styles"].setFloating(True)
    again.reset_layout()
    assert not again.docks["styles"].isFloating() and again.docks["styles"].isVisibleTo(again)
    assert "Layout reset" in again.status.currentMessage() and again.last_error is None
    again.close()
    err = capfd.readouterr().err
    assert "Traceback" not in err, err
