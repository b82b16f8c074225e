"""Issue 14's smaller observations, each reproduced in the real window: arithmetic thumbnails after an
inversion, the canvas placeholder while a model loads, undo entries in words, the mix seed's thumbnail,
the Help menu, the bundled list, pixel scaling for small models, named and previewed directions."""

from __future__ import annotations

import numpy as np
import pytest

from app.canvas import PLACEHOLDER
from app.help import GUIDE_SECTION, ShortcutsDialog, all_shortcuts, guide_text, menu_shortcuts
from engine import zoo
from engine.api import Latent, RenderRequest
from engine.render import render
from tests.app.conftest import WAIT_MS

pytestmark = pytest.mark.qt


def _engine_render(window, req: RenderRequest) -> np.ndarray:
    mid = window.session.model_id
    return window.client.engine.call(lambda ctx: render(ctx.model(mid), req))


def test_arithmetic_b_and_c_show_their_seeds_after_an_inversion(window, wait_current, qtbot) -> None:
    """After an image is inverted (the latent is a W+ code), B and C still show seeds B and C, not the
    projected image."""
    caps = window.session.caps
    ws = np.random.default_rng(0).normal(size=(caps.w_space.num_ws, caps.w_space.w_dim)).astype(np.float32)
    window.session.edit("invert image", {"latent": {"ws": ws, "z": None}})
    wait_current()
    panel = window.arithmetic_panel
    panel.seeds[1].setValue(5)
    panel.seeds[2].setValue(6)
    window.docks["arithmetic"].raise_()
    for i, seed in ((1, 5), (2, 6)):
        expect = _engine_render(window, RenderRequest("x", latent=Latent(seed=seed)))
        qtbot.waitUntil(lambda i=i, e=expect: np.array_equal(panel.thumbs[i].frame, e), timeout=WAIT_MS)
    inverted = _engine_render(window, RenderRequest("x", latent=Latent(ws=ws)))
    qtbot.waitUntil(lambda: np.array_equal(panel.thumbs[0].frame, inverted), timeout=WAIT_MS)  # A is the image
    assert not np.array_equal(panel.thumbs[1].frame, inverted)


def test_the_canvas_says_what_is_loading_and_rendering(qtbot, client, model_files, tmp_path) -> None:
    from app.main_window import MainWindow
    from app.settings import Settings

    win = MainWindow(client, Settings())
    qtbot.addWidget(win)
    win.show()
    assert win.canvas.placeholder == PLACEHOLDER
    seen: list[tuple[str, object]] = []
    win.session.model_changed.connect(lambda _m: seen.append((win.canvas.placeholder, win.canvas.frame)))
    win.open_model(str(model_files["m16"]))
    assert win.canvas.placeholder == "Loading m16.safetensors…"
    qtbot.waitUntil(lambda: win.canvas.frame is not None, timeout=WAIT_MS)
    assert seen == [("Rendering m16…", None)]  # never "Open a model" once one is loading
    win.close()

    again = MainWindow(client, Settings())
    qtbot.addWidget(again)
    again.open_model(str(tmp_path / "missing.safetensors"))
    assert again.canvas.placeholder.startswith("Loading missing")
    qtbot.waitUntil(lambda: again.last_error is not None, timeout=WAIT_MS)
    assert again.canvas.placeholder == PLACEHOLDER  # nothing loaded: back to the invitation
    again.last_error.close()
    again.close()


def test_undo_entries_say_what_they_undo(window, wait_current) -> None:
    row = window.styles_panel.rows[3]
    row.slider.setValue(row.slider.to_int(0.5))
    assert window.undo_action.text() == "&Undo style mix, layer 3"
    window.session.seal_undo()
    before = window.session.params.latent.seed
    window.latent_panel.seed.setValue(before + 4)
    assert window.undo_action.text() == f"&Undo seed {before} → {before + 4}"
    window.undo_action.trigger()
    assert window.redo_action.text() == f"&Redo seed {before} → {before + 4}"
    window.noise_panel.rows[1].slider.setValue(window.noise_panel.rows[1].slider.to_int(0.2))
    assert window.undo_action.text() == "&Undo noise strength, layer 1"


def test_the_mix_seed_has_a_thumbnail(window, wait_current, qtbot) -> None:
    panel = window.styles_panel
    panel.mix_seed.setValue(7)
    expect = _engine_render(window, RenderRequest("x", latent=Latent(seed=7)))
    qtbot.waitUntil(lambda: np.array_equal(panel.mix_thumb.frame, expect), timeout=WAIT_MS)
    row = panel.rows[0]
    row.slider.setValue(row.slider.to_int(1.0))  # mixing changes the frame, not the mix seed's own image
    wait_current()
    np.testing.assert_array_equal(panel.mix_thumb.frame, expect)


def test_help_lists_every_shortcut_and_the_readme_section(window) -> None:
    help_menu = [a for a in window.menuBar().actions() if a.text() == "&Help"]
    assert help_menu and window.menuBar().actions()[-1] is help_menu[0]
    assert window.help_actions["shortcuts"].shortcut().toString() == "F1"
    shortcuts = menu_shortcuts(window)
    keys = {k for k, _ in shortcuts}
    assert {"Ctrl+O", "Ctrl+S", "Ctrl+Z", "Ctrl+R", "F1"} <= keys
    guide = guide_text()
    assert guide is not None and guide.startswith(GUIDE_SECTION) and "guide" in window.help_actions
    table = {k for line in guide.splitlines() if line.startswith("| ") for k in line.split(" | ")[0][2:].split(" or ")}
    assert keys <= table, f"{keys - table} missing from the README's shortcut table"
    dialog = ShortcutsDialog(all_shortcuts(window), window)
    assert dialog.table.rowCount() == len(all_shortcuts(window)) > len(shortcuts)
    assert dialog.table.item(0, 1).text() == "File › Open model"
    dialog.close()


def test_the_bundled_list_shows_every_model_and_follows_the_open_one(window, qtbot) -> None:
    panel = window.model_panel
    entries = zoo.list_models()
    assert panel.bundled.count() == len(entries) >= 14
    window.docks["model"].raise_()
    qtbot.waitUntil(lambda: panel.bundled.isVisible())
    assert panel.bundled.verticalScrollBar().maximum() == 0  # every name shows, no tiny scroll box
    assert panel.bundled.currentRow() == -1  # a model file that is not bundled: nothing highlighted
    assert panel.recent.currentItem() is not None and panel.recent.currentItem().text() == "m16.safetensors"
    entry = entries[3]
    panel.set_model(entry.name, window.session.caps, {"path": str(entry.path)})
    assert panel.bundled.currentItem().text() == entry.name and panel.recent.currentRow() == -1


def test_small_models_are_shown_as_pixels_by_default(window, qtbot) -> None:
    assert window.settings.scaling == "auto" and window.session.caps.resolution == 16
    assert window.canvas.smooth is False and window.scaling_actions["auto"].isChecked()
    window.scaling_actions["smooth"].trigger()
    assert window.canvas.smooth is True and window.settings.scaling == "smooth"
    window.set_scaling("pixels")
    assert window.canvas.smooth is False and window.scaling_actions["pixels"].isChecked()


def test_discovered_directions_are_named_and_previewed(window, wait_current, qtbot) -> None:
    panel = window.discover_panel
    window.docks["discover"].raise_()
    panel.k.setValue(3)
    panel.compute.click()
    qtbot.waitUntil(lambda: len(panel.effects) == 3, timeout=WAIT_MS)
    for effect, caption, strip in zip(panel.effects, panel.captions, panel.strips):
        assert caption.text() == effect.label and " · " in effect.label
        assert strip.pixmap() is not None and strip.pixmap().width() == 5 * effect.strip.shape[2]
    assert any(c.text().endswith("strong") for c in panel.captions)
    assert window.last_error is None
