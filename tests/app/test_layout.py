"""Dock layouts: saved and restored per kind of model, never crushed below a panel's usable size,
View > Reset layout, and a default layout that fits 1366×768 and 1440×900 screens."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QTabBar

from app.docks import panel_of, usable_height
from app.layout import LayoutStore, layout_key
from engine.checkpoints.native import save_native
from engine.families import get_family
from engine.families.base import Capabilities, ImageInput, WSpace
from tests.app.conftest import WAIT_MS
from tests.app.test_explorer_panels import make_tiny_vae

pytestmark = pytest.mark.qt

SCREENS = {"1366x768": (1366, 768 - 56), "1440x900": (1440, 900 - 56)}
"""Screen sizes, less a title bar and a task bar: the window a desktop leaves for LatentLab."""


@pytest.fixture(scope="module")
def kinds(tmp_path_factory) -> dict[str, Path]:
    """A tiny translator, a tiny VAE and a tiny StyleGAN (v1) beside the conftest's StyleGAN2s."""
    d = tmp_path_factory.mktemp("kinds")
    torch.manual_seed(1)
    fam = get_family("cyclegan")
    out = {"cyclegan": save_native(fam.new(fam.tiny_config()), d / "cyc.safetensors")}
    out["vae"] = make_tiny_vae(d / "vae.safetensors")
    fam = get_family("stylegan")
    out["stylegan"] = save_native(fam.new(fam.tiny_config()), d / "sg1.safetensors")
    return out


def _new_window(qtbot, client, size=(1440, 844)):
    from app.main_window import MainWindow
    from app.settings import Settings

    win = MainWindow(client, Settings())
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    return win


def _open(qtbot, win, path: Path) -> None:
    win.open_model(str(path))
    qtbot.waitUntil(lambda: win.session.model is not None and win.session.model.name == path.stem, timeout=WAIT_MS)
    qtbot.wait(50)  # let the layout settle


def _shown(win) -> dict[str, QDockWidget]:
    return {n: d for n, d in win.docks.items() if not d.isHidden()}


def _right_width(win) -> int:
    caps = win.session.caps
    name = "translate" if not caps.renders_latent else "styles" if caps.w_space else "encode"
    return win.docks[name].width()


def test_layout_key_is_the_kind_of_model_not_its_family() -> None:
    w = WSpace(w_dim=8, num_ws=4, has_w_avg=True)
    a = Capabilities(family="stylegan", task="unconditional", resolution=16, channels=3, z_dim=8, w_space=w)
    b = Capabilities(family="stylegan2", task="unconditional", resolution=64, channels=3, z_dim=8, w_space=w)
    t = Capabilities(family="stylegan2", task="image-to-image", resolution=16, channels=3, z_dim=0,
                     image_input=ImageInput(3, 16, ("AtoB",)))  # fmt: skip
    panels = ["model", "latent", "styles"]
    assert layout_key(a, panels) == layout_key(b, list(reversed(panels)))
    assert layout_key(a, panels) != layout_key(t, panels)
    assert layout_key(a, panels) != layout_key(a, [*panels, "noise"])
    assert "stylegan" not in layout_key(a, panels)


def test_layout_is_saved_and_restored_per_kind(qtbot, client, model_files, kinds) -> None:
    win = _new_window(qtbot, client)
    _open(qtbot, win, model_files["m16"])
    default_generator = _right_width(win)
    win.resizeDocks([win.docks["styles"]], [default_generator + 90], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: _right_width(win) >= default_generator + 80, timeout=WAIT_MS)
    generator = _right_width(win)

    _open(qtbot, win, kinds["cyclegan"])  # another kind: its own (default) layout
    assert "styles" not in _shown(win) and "translate" in _shown(win)
    translator = max(win.docks["translate"].minimumSizeHint().width() + 8, _right_width(win) - 60)
    assert translator < _right_width(win) - 20
    win.resizeDocks([win.docks["translate"]], [translator], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: abs(_right_width(win) - translator) <= 4, timeout=WAIT_MS)

    _open(qtbot, win, model_files["m32"])  # a generator of the same kind as m16: its layout
    qtbot.waitUntil(lambda: abs(_right_width(win) - generator) <= 4, timeout=WAIT_MS)
    win.close()

    again = _new_window(qtbot, client)  # a relaunch: both layouts come back from the settings
    assert len(LayoutStore(again.settings).keys()) == 2
    _open(qtbot, again, model_files["m16"])
    qtbot.waitUntil(lambda: abs(_right_width(again) - generator) <= 4, timeout=WAIT_MS)
    _open(qtbot, again, kinds["cyclegan"])
    qtbot.waitUntil(lambda: abs(_right_width(again) - translator) <= 4, timeout=WAIT_MS)
    assert again.docks["features"].isHidden()  # a translator has no feature viewer
    again.close()


def test_a_crushed_saved_layout_is_not_crushed_on_restore(qtbot, client, model_files) -> None:
    """A layout saved while the Encode dock was 8 px tall (as earlier versions let it be) comes
    back with the whole Encode panel usable: its previews at full size."""
    win = _new_window(qtbot, client)
    _open(qtbot, win, model_files["m16"])
    encode = win.docks["encode"]
    for dock in win.docks.values():
        dock.widget().setMinimumHeight(0)  # the old minimum: a scroll area shrinks to nothing
    win.resizeDocks([encode], [8], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: encode.widget().height() < usable_height(win.encode_panel) // 2, timeout=WAIT_MS)
    assert win.encode_panel.input_view.visibleRegion().boundingRect().height() < 20  # the previews are cut
    win.close()

    again = _new_window(qtbot, client)
    _open(qtbot, again, model_files["m16"])
    panel = again.encode_panel
    qtbot.waitUntil(lambda: again.docks["encode"].widget().height() >= usable_height(panel), timeout=WAIT_MS)
    again.docks["encode"].raise_()
    qtbot.waitUntil(lambda: panel.input_view.visibleRegion().boundingRect().height() == panel.input_view.height())
    assert panel.input_view.height() >= 100
    again.close()


def test_styles_show_their_rows_after_switching_through_another_kind(qtbot, client, model_files, kinds) -> None:
    """StyleGAN2 → VAE → StyleGAN v1: the rebuilt Styles panel fills its dock (not one row)."""
    win = _new_window(qtbot, client)
    for path in (model_files["m16"], kinds["vae"], kinds["stylegan"]):
        _open(qtbot, win, path)
    panel = win.styles_panel
    win.docks["styles"].raise_()
    rows = len(panel.rows)
    assert rows == win.session.caps.w_space.num_ws
    qtbot.waitUntil(lambda: panel.rows[-1].visibleRegion().boundingRect().height() == panel.rows[-1].height())
    assert all(not r.visibleRegion().isEmpty() for r in panel.rows)
    win.close()


def test_reset_layout_puts_every_dock_back(qtbot, client, model_files) -> None:
    win = _new_window(qtbot, client)
    _open(qtbot, win, model_files["m16"])
    styles, noise = win.docks["styles"], win.docks["noise"]
    area = win.dockWidgetArea(styles)
    win.removeDockWidget(styles)
    win.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, styles)
    styles.show()
    noise.close()
    win.layout_manager.save()
    assert LayoutStore(win.settings).keys()

    assert win.reset_layout_action.text() == "&Reset layout"
    win.reset_layout_action.trigger()
    assert win.dockWidgetArea(styles) == area == Qt.DockWidgetArea.RightDockWidgetArea
    assert not noise.isHidden() and noise in win.tabifiedDockWidgets(styles)
    assert LayoutStore(win.settings).keys() == []
    win.close()


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_default_layout_fits_laptop_screens(qtbot, client, model_files, kinds, screen) -> None:
    """At 1366×768 and 1440×900 the window does not grow past the screen, every shown dock is at
    least its usable height, and the walk's controls are on screen without scrolling."""
    width, height = SCREENS[screen]
    win = _new_window(qtbot, client, (width, height))
    for path in (model_files["m16"], kinds["vae"], kinds["cyclegan"], kinds["stylegan"]):
        _open(qtbot, win, path)
        hint = win.minimumSizeHint()
        assert hint.width() <= width and hint.height() <= height, (path.stem, hint)
        assert (win.width(), win.height()) == (width, height)
        for name, dock in _shown(win).items():
            if dock.visibleRegion().isEmpty():
                continue  # a tab behind another
            assert dock.widget().height() >= usable_height(panel_of(dock)) - 1, (path.stem, name)
            assert win.rect().contains(dock.geometry()), (path.stem, name)
    walk = win.interpolate_panel
    for control in (walk.preview, walk.walk_keys.add_file, walk.walk_keys.clear, walk.export, walk.play):
        rect = control.visibleRegion().boundingRect()
        assert rect.height() == control.height() and rect.width() == control.width(), control.text()
    win.close()


@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_reset_layout_fits_the_screen_after_a_rearrangement(qtbot, client, model_files, screen, monkeypatch) -> None:
    """Interpolate moved into the right column grows the window past the screen (Qt keeps every
    dock's minimum); Reset layout brings it back to the screen with the default layout whole."""
    from PySide6.QtCore import QSize

    from app import layout

    width, height = SCREENS[screen]
    monkeypatch.setattr(layout, "available_size", lambda window: QSize(width, height))
    win = _new_window(qtbot, client, (width, height))
    _open(qtbot, win, model_files["m16"])
    qtbot.waitUntil(win.features_panel.has_layers, timeout=WAIT_MS)
    qtbot.wait(50)
    win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, win.docks["interpolate"])
    win.resizeDocks([win.docks["model"]], [120], Qt.Orientation.Horizontal)
    qtbot.wait(50)
    if screen == "1366x768":
        assert win.height() > height  # the right column's minimums no longer fit the screen
    win.reset_layout_action.trigger()
    qtbot.wait(50)
    assert (win.width(), win.height()) == (width, height)
    assert win.dockWidgetArea(win.docks["interpolate"]) == Qt.DockWidgetArea.BottomDockWidgetArea
    bars = [[b.tabText(i) for i in range(b.count())] for b in win.findChildren(QTabBar) if b.isVisible()]
    for tabs in (["Model", "Features"], ["Styles", "Noise"], ["Interpolate", "Arithmetic", "Gallery"]):
        assert tabs in bars, bars  # each group's tab bar on screen (they stayed hidden under X11)
    for name, dock in _shown(win).items():
        if dock.visibleRegion().isEmpty():
            continue
        assert win.rect().contains(dock.geometry()), name
        assert dock.widget().height() >= usable_height(panel_of(dock)) - 1, name
    win.close()


def test_translate_choices_are_not_clipped_at_1366(qtbot, client, kinds) -> None:
    """The Fit and Direction combos show their whole label in the default translator layout on a
    1366×768 screen ("Crop to square (keeps t" was cut off)."""
    win = _new_window(qtbot, client, SCREENS["1366x768"])
    _open(qtbot, win, kinds["cyclegan"])
    panel = win.translate_panel
    for combo in (panel.fit, panel.direction):
        arrow = combo.style().pixelMetric(combo.style().PixelMetric.PM_ScrollBarExtent) + 16  # arrow and frame
        for i in range(combo.count()):
            text = combo.itemText(i)
            assert combo.fontMetrics().horizontalAdvance(text) + arrow <= combo.width(), text
    win.close()
