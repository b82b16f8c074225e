"""Docks of the explorer: each panel in a scrollable dock, and the first layout of a model's docks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QWidget

from engine.families.base import Capabilities

ROW_PX = 26


def make_dock(window: QMainWindow, panel: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
    """``panel`` (with a ``title``) in a movable, floatable, closable dock of ``window``."""
    dock = QDockWidget(panel.title, window)  # type: ignore[attr-defined]
    dock.setObjectName(f"dock-{panel.title.lower()}")  # type: ignore[attr-defined]
    # A scroll area lets a dock shrink below its panel's height, so the window fits a laptop screen
    # (900 px) with every dock open; a panel taller than its dock scrolls instead of being cut off.
    scroll = QScrollArea(dock)
    scroll.setWidget(panel)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setMinimumWidth(panel.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
    dock.setWidget(scroll)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
    )
    window.addDockWidget(area, dock)
    return dock


def balance_docks(window: QMainWindow, docks: dict[str, QDockWidget], caps: Capabilities) -> None:
    """Share each column between its visible docks: the right one by how many rows each panel has,
    the left one by the panels' natural heights (the model list takes what is left), and give the
    bottom row the interpolation panel's natural height (capped, the rest scrolls)."""

    def panel(name: str) -> QWidget:
        return docks[name].widget().widget()  # type: ignore[union-attr]

    def shown(name: str) -> bool:
        return docks[name].isVisibleTo(window)

    rows = {
        "styles": (caps.w_space.num_ws + 4) if caps.w_space else 0,
        "noise": (caps.noise_layers + 5) if caps.noise_layers else 0,
        "encode": 8 if shown("encode") else 0,
        "directions": (caps.latent_directions + 4) if shown("directions") else 0,
        "discover": 8 if shown("discover") else 0,
    }
    right = [name for name, n in rows.items() if n]
    if len(right) > 1:
        window.resizeDocks([docks[n] for n in right], [rows[n] * ROW_PX for n in right], Qt.Orientation.Vertical)
    left = [n for n in ("latent", "truncation", "progressive", "transform") if shown(n)]
    if left:
        heights = [panel(n).sizeHint().height() + 8 for n in left]
        window.resizeDocks([docks["model"], *(docks[n] for n in left)], [260, *heights], Qt.Orientation.Vertical)
    if shown("interpolate"):
        height = min(230, panel("interpolate").sizeHint().height() + 8)
        window.resizeDocks([docks["interpolate"]], [height], Qt.Orientation.Vertical)
